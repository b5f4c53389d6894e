//! Plain-text and JSON output of the CLI verbs.

use std::io::Write;

use super::{CliError, CliResult};
use crate::protocol::{DecisionView, StepStatus, TaskView};

/// Pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value).map_err(CliError::failed)?;
    println!("{text}");
    Ok(())
}

fn clip(text: &str, width: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= width {
        line.to_string()
    } else {
        let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// `done/total`, counted as the interface counts them.
fn progress(task: &TaskView) -> String {
    let (done, total) = crate::store::summary::step_progress(
        task.steps.iter().map(|s| (s.skill.as_str(), s.status)),
    );
    format!("{done}/{total}")
}

pub fn task_table(tasks: &[TaskView]) -> CliResult {
    let mut out = std::io::stdout().lock();
    if tasks.is_empty() {
        let _ = writeln!(out, "no tasks yet: `bosun submit DESCRIPTION` queues one");
        return Ok(());
    }
    let _ = writeln!(
        out,
        "{:<10}  {:<9}  {:<8}  {:<12}  {:>5}  {:<20}  DESCRIPTION",
        "ID", "STATUS", "PRIORITY", "WORKFLOW", "STEPS", "CREATED"
    );
    for t in tasks {
        let created = t
            .created_at
            .get(..19)
            .unwrap_or(&t.created_at)
            .replace('T', " ");
        let _ = writeln!(
            out,
            "{:<10}  {:<9}  {:<8}  {:<12}  {:>5}  {:<20}  {}",
            t.id.as_str(),
            t.status.as_str(),
            t.priority.as_str(),
            clip(&t.workflow, 12),
            progress(t),
            created,
            clip(&t.description, 60)
        );
    }
    Ok(())
}

fn mark(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Pending => "·",
        StepStatus::Running => "▶",
        StepStatus::Waiting => "?",
        StepStatus::Succeeded => "✓",
        StepStatus::Failed => "✗",
        StepStatus::Skipped => "-",
        StepStatus::Cancelled => "⊘",
    }
}

/// The last `n` lines of a text, indented.
/// The last `n` lines of a step's output or error, indented. Colours are kept for a terminal
/// and stripped for a pipe or a file, where escape codes would only be noise (`--json` keeps
/// the bytes as captured).
fn tail(text: &str, n: usize) -> String {
    let plain;
    let text = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        text
    } else {
        plain = strip_ansi(text);
        &plain
    };
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..]
        .iter()
        .map(|l| format!("      │ {l}\n"))
        .collect()
}

/// `text` without ANSI escape codes (colours, cursor moves), line breaks kept.
pub fn strip_ansi(text: &str) -> String {
    crate::tui::ansi::lines(text, ratatui::style::Style::default())
        .iter()
        .map(crate::tui::ansi::plain)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn task_detail(t: &TaskView) -> CliResult {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}  {}  ({} priority)", t.id, t.status, t.priority);
    let _ = writeln!(out, "  {}", t.description);
    let _ = writeln!(out, "  workflow  {} — {}", t.workflow, t.workflow_reason);
    // Unset optional inputs (null) and empty strings say nothing worth a line.
    let inputs: Vec<String> = t
        .inputs
        .iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) if s.is_empty() => None,
            serde_json::Value::String(s) => Some(format!("{k}={s}")),
            other => Some(format!("{k}={other}")),
        })
        .collect();
    if !inputs.is_empty() {
        let _ = writeln!(out, "  inputs    {}", inputs.join(" "));
    }
    let _ = writeln!(out, "  created   {}", t.created_at);
    if let Some(at) = &t.started_at {
        let _ = writeln!(out, "  started   {at}");
    }
    if let Some(at) = &t.finished_at {
        let _ = writeln!(out, "  finished  {at}");
    }
    if let Some(e) = &t.error {
        let _ = writeln!(out, "  error     {e}");
    }
    let _ = writeln!(out, "  steps");
    for s in &t.steps {
        let indent = if s.parent.is_some() { "    " } else { "" };
        let mut facts = vec![s.status.as_str().to_string()];
        if s.attempts > 1 {
            facts.push(format!("{} attempts", s.attempts));
        }
        if let Some(code) = s.exit_code {
            facts.push(format!("exit {code}"));
        }
        if let Some(choice) = &s.choice {
            facts.push(format!("chose {choice}"));
        }
        let _ = writeln!(
            out,
            "  {indent}{} {:<16} {:<14} {}",
            mark(s.status),
            s.id,
            s.skill,
            facts.join(", ")
        );
        if let Some(output) = s.output.as_deref().filter(|o| !o.trim().is_empty()) {
            let _ = write!(out, "{}", tail(output, 5));
        }
        if let Some(error) = s
            .error
            .as_deref()
            .filter(|_| s.status == StepStatus::Failed)
        {
            let _ = write!(out, "{}", tail(error, 5));
        }
    }
    Ok(())
}

pub fn decisions_table(list: &[DecisionView]) -> CliResult {
    let mut out = std::io::stdout().lock();
    if list.is_empty() {
        let _ = writeln!(out, "no decisions recorded");
    }
    for d in list {
        let _ = writeln!(
            out,
            "{}  {}  {}  {} → {}  by {} ({})",
            d.at.get(..19).unwrap_or(&d.at),
            d.task_id,
            d.step_id.as_deref().unwrap_or("-"),
            clip(&d.question, 40),
            d.choice,
            d.decided_by,
            d.reason
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::strip_ansi;

    #[test]
    fn escape_codes_are_stripped_and_lines_kept() {
        let text = "\u{1b}[1m\u{1b}[32m   Compiling\u{1b}[0m app\n\u{1b}[31merror\u{1b}[0m: x";
        assert_eq!(strip_ansi(text), "   Compiling app\nerror: x");
        assert_eq!(strip_ansi("plain\ntext"), "plain\ntext");
    }
}
