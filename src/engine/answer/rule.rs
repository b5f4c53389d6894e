//! Remembering an answer as a rule: turns it into a rule in `.bosun/policy.yaml`, with a
//! comment saying where it came from. The rule is added as text (the user's comments and
//! layout stay), and the new file must load as a valid policy before it is written (atomically).

use std::path::PathBuf;

use super::AnswerError;
use crate::config::ProjectPaths;
use crate::policy::Policy;
use crate::protocol::DecisionKind;
use crate::store::escalations::EscalationRecord;

/// A rule ready to be written.
#[derive(Debug)]
pub struct ProposedRule {
    pub id: String,
    pub file: PathBuf,
    text: String,
}

impl ProposedRule {
    /// Replaces the policy file with the new text, atomically.
    pub fn write(&self) -> Result<(), String> {
        let tmp = self.file.with_extension("yaml.tmp");
        std::fs::write(&tmp, &self.text)
            .and_then(|()| std::fs::rename(&tmp, &self.file))
            .map_err(|e| format!("cannot write {}: {e}", self.file.display()))
    }
}

/// A YAML scalar: JSON's string syntax is valid YAML.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("'{}'", text.replace('\'', "''")))
}

/// A glob that matches `text` literally.
fn literal_glob(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "*?[]{}\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The rule's lines (a YAML list item, not indented).
fn rule_lines(
    id: &str,
    record: &EscalationRecord,
    choice: &str,
    via: &str,
) -> Result<Vec<String>, String> {
    let q = &record.question;
    let proposal: serde_json::Value = q
        .proposal
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or("this question carries no rule to propose")?;
    let field = |key: &str| {
        proposal
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut lines = vec![
        format!(
            "# Proposed by answering {} with `{choice}` ({via}) on {}:",
            q.id,
            crate::time::now_rfc3339()
        ),
        format!(
            "# {} (task {}, step {})",
            q.question.replace('\n', " "),
            q.task_id,
            q.step_id.as_deref().unwrap_or("-")
        ),
        format!("- id: {id}"),
    ];
    match q.kind {
        DecisionKind::Command => {
            let skill = field("skill").ok_or("the proposal names no skill")?;
            let commands: Vec<String> = proposal
                .get("command")
                .and_then(|c| c.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str())
                        .map(|c| quoted(&literal_glob(c)))
                        .collect()
                })
                .unwrap_or_default();
            if commands.is_empty() {
                return Err("the proposal names no command".into());
            }
            let places: Vec<String> = proposal
                .get("path")
                .and_then(|c| c.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str())
                        .map(|p| quoted(&literal_glob(p)))
                        .collect()
                })
                .unwrap_or_default();
            let path = if places.is_empty() {
                String::new()
            } else {
                format!(", path: [{}]", places.join(", "))
            };
            lines.push(format!(
                "  match: {{ skill: {}, command: [{}]{path} }}",
                quoted(&skill),
                commands.join(", ")
            ));
            let action = if choice == "allow" { "allow" } else { "deny" };
            lines.push(format!("  action: {action}"));
        }
        DecisionKind::Decide | DecisionKind::Failure => {
            let workflow = field("workflow").ok_or("the proposal names no workflow")?;
            let step = field("step").ok_or("the proposal names no step")?;
            lines.push(format!(
                "  match: {{ kind: {}, workflow: {}, step: {} }}",
                q.kind.as_str(),
                quoted(&workflow),
                quoted(&step)
            ));
            lines.push(format!("  choice: {}", quoted(choice)));
        }
        DecisionKind::Merge => {
            let workflow = field("workflow").ok_or("the proposal names no workflow")?;
            lines.push(format!(
                "  match: {{ kind: merge, workflow: {} }}",
                quoted(&workflow)
            ));
            lines.push(format!("  choice: {}", quoted(choice)));
        }
    }
    Ok(lines)
}

/// Where to add a list item to the block list under the top-level `rules:` key: the line index
/// and the items' indent. `None` when the file has no `rules:` key.
fn insertion_point(lines: &[&str]) -> Result<Option<(usize, usize)>, String> {
    let Some(start) = lines
        .iter()
        .position(|l| l.trim_end().starts_with("rules:"))
    else {
        return Ok(None);
    };
    if !lines[start].trim_end().ends_with(':') {
        return Err("`rules:` is written in flow style; add the rule by hand".into());
    }
    let mut end = lines.len();
    let mut indent = None;
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lead = line.len() - trimmed.len();
        if lead == 0 && !trimmed.starts_with('-') {
            end = i;
            break;
        }
        if indent.is_none() && trimmed.starts_with('-') {
            indent = Some(lead);
        }
    }
    // Trailing blank lines and comments stay after the new rule.
    while end > start + 1 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    Ok(Some((end, indent.unwrap_or(2))))
}

/// The rule an answer proposes, checked against the whole policy it would join.
pub fn propose_rule(
    paths: &ProjectPaths,
    record: &EscalationRecord,
    choice: &str,
    via: &str,
) -> Result<ProposedRule, AnswerError> {
    let file = paths.policy_file();
    let current = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(AnswerError::Failed(format!(
                "cannot read {}: {e}",
                file.display()
            )));
        }
    };
    let id = format!("remembered-{}", record.question.id);
    let rule = rule_lines(&id, record, choice, via).map_err(AnswerError::Failed)?;
    let lines: Vec<&str> = current.lines().collect();
    let text = match insertion_point(&lines).map_err(AnswerError::Failed)? {
        None => {
            let mut text = current.clone();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str("rules:\n");
            for l in &rule {
                text.push_str(&format!("  {l}\n"));
            }
            text
        }
        Some((at, indent)) => {
            let pad = " ".repeat(indent);
            let mut out: Vec<String> = lines[..at].iter().map(|l| l.to_string()).collect();
            out.extend(rule.iter().map(|l| format!("{pad}{l}")));
            out.extend(lines[at..].iter().map(|l| l.to_string()));
            out.join("\n") + "\n"
        }
    };
    Policy::from_text(&file, &text, &paths.root).map_err(|e| {
        AnswerError::Failed(format!(
            "the rule would not make a valid policy, so nothing was answered:\n{e}"
        ))
    })?;
    std::fs::create_dir_all(&paths.bosun_dir).map_err(|e| AnswerError::Failed(e.to_string()))?;
    Ok(ProposedRule { id, file, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_goes_at_the_end_of_the_rules_block_with_its_indent() {
        let text = "extra_roots: []\nrules:\n    - id: a\n      action: allow\n\nread_roots: []\n";
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(insertion_point(&lines).expect("block"), Some((4, 4)));
    }

    #[test]
    fn flow_style_rules_are_refused() {
        let lines = vec!["rules: []"];
        assert!(insertion_point(&lines).is_err());
    }

    #[test]
    fn globs_in_commands_are_escaped() {
        assert_eq!(literal_glob("rm -rf *.o"), "rm -rf \\*.o");
    }
}
