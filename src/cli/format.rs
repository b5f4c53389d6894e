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

/// How much of each stream `show` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// The last n lines, saying how many were cut and how to read them.
    Last(usize),
    /// Everything kept.
    All,
}

/// A step's stream (`label` names it when it is not stdout), indented: its last lines or all
/// of it, saying what was cut and how to read the rest. Colours are kept for a terminal and
/// stripped for a pipe or a file, where escape codes would only be noise (`--json` keeps the
/// bytes as captured).
fn stream(text: &str, label: Option<&str>, lines: Lines, more: &str) -> String {
    let plain;
    let text = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        text
    } else {
        plain = strip_ansi(text);
        &plain
    };
    let all: Vec<&str> = text.trim_end().lines().collect();
    let start = match lines {
        Lines::Last(n) => all.len().saturating_sub(n),
        Lines::All => 0,
    };
    let mut out = String::new();
    if let Some(label) = label {
        out.push_str(&format!("      {label}:\n"));
    }
    if start > 0 {
        let earlier = crate::text::count(start as i64, "earlier line");
        out.push_str(&format!("      ┆ {earlier} not shown: {more}\n"));
    }
    for l in &all[start..] {
        out.push_str(&format!("      │ {l}\n"));
    }
    out
}

/// An input's value, with the lines after its first aligned under it.
fn input_value(key: &str, value: &str, column: usize) -> String {
    let indent = " ".repeat(column + key.len() + 1);
    value
        .lines()
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

pub use crate::text::strip_ansi;

/// A worktree task's branch in `show`: where it is, how far from its base, what it changed,
/// and what it shares with other tasks in flight.
fn worktree_lines(w: &crate::protocol::WorktreeView) -> Vec<String> {
    let base = w.base.as_deref().unwrap_or("a detached commit");
    let mut lines = vec![format!(
        "worktree  {} · {} → {base} · ↑{} ↓{} · {}",
        w.state,
        w.branch,
        w.ahead,
        w.behind,
        crate::text::count(w.changed.len() as i64, "file changed")
    )];
    if !w.state.is_gone() {
        lines.push(format!("          {}", w.path));
    }
    for c in &w.collides {
        lines.push(format!(
            "          ⚠ task {} also changes {}",
            c.task_id,
            c.files.join(", ")
        ));
    }
    if !w.conflicts.is_empty() {
        lines.push(format!("          conflicts in {}", w.conflicts.join(", ")));
    }
    if let Some(e) = &w.error {
        lines.push(format!("          {e}"));
    }
    lines
}

pub fn task_detail(t: &TaskView, lines: Lines) -> CliResult {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}  {}  ({} priority)", t.id, t.status, t.priority);
    let _ = writeln!(out, "  {}", t.description);
    let _ = writeln!(out, "  workflow  {} — {}", t.workflow, t.workflow_reason);
    // Unset optional inputs (null) and empty strings say nothing worth a line; each input
    // has its own line, a list of changed files aligned under its first.
    const COLUMN: usize = 12;
    let mut label = "inputs";
    for (k, v) in &t.inputs {
        let value = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) if s.is_empty() => continue,
            serde_json::Value::String(s) => input_value(k, s, COLUMN),
            other => other.to_string(),
        };
        let _ = writeln!(out, "  {label:<9} {k}={value}");
        label = "";
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
    if let Some(agents) = t.agent_totals() {
        let _ = writeln!(out, "  agents    {}", super::stats::spent(&agents));
    }
    if let Some(w) = &t.worktree {
        for line in worktree_lines(w) {
            let _ = writeln!(out, "  {line}");
        }
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
        if let Some((worked, waited)) = s.work_and_wait(time::OffsetDateTime::now_utc())
            && s.finished_at.is_some()
        {
            facts.push(format!("worked {worked}s"));
            if waited > 0 {
                facts.push(format!("waited {waited}s on a question"));
            }
        }
        if let Some(choice) = &s.choice {
            facts.push(format!("chose {choice}"));
        }
        if let Some(agent) = &s.agent {
            facts.push(format!(
                "{} in {}",
                crate::text::usd(agent.cost_usd),
                crate::text::count(agent.turns, "turn")
            ));
        }
        let _ = writeln!(
            out,
            "  {indent}{} {:<16} {:<14} {}",
            mark(s.status),
            s.id,
            s.skill,
            facts.join(", ")
        );
        let more = format!("`bosun show {} --step {} --full`", t.id, s.id);
        if let Some(output) = s.output.as_deref().filter(|o| !o.trim().is_empty()) {
            let _ = write!(out, "{}", stream(output, None, lines, &more));
        }
        if let Some(errors) = s.stderr.as_deref().filter(|o| !o.trim().is_empty()) {
            let _ = write!(out, "{}", stream(errors, Some("stderr"), lines, &more));
        }
        if let Some(error) = s
            .error
            .as_deref()
            .filter(|_| matches!(s.status, StepStatus::Failed | StepStatus::Waiting))
        {
            let _ = write!(out, "{}", stream(error, Some("error"), Lines::All, &more));
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
    use super::input_value;

    /// A watch run's changed files line up under the first, not at column 0.
    #[test]
    fn a_multi_line_input_is_aligned_under_its_first_line() {
        let value = input_value("changed_files", "src/a.rs\nsrc/b.rs", 12);
        assert_eq!(value, format!("src/a.rs\n{}src/b.rs", " ".repeat(26)));
        let line = format!("  {:<9} changed_files={value}", "inputs");
        let columns: Vec<usize> = line.lines().map(|l| l.find("src/").unwrap_or(0)).collect();
        assert_eq!(columns[0], columns[1], "{line}");
    }
}
