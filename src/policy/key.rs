//! What near-identical questions share: the key they are grouped into one batch and one
//! answer by, and that a remembered answer (`--remember task|session`) is looked up by; and how
//! that key reads to a person ("remember `node -e …` for this session").
//!
//! A command's key is its skill, its shape (the program, subcommand and options as written,
//! only data blanked: paths, numbers, ids, inline code) and every reason it was asked. So an
//! allow remembered for `node -e 'console.log(1)'` covers `node -e 'console.log(4)'`, but
//! never `rm -rf <path>` for `rm <path>`, nor the same shape asked for another reason (a
//! secret read, a rule about what the command is). Denials never reach a question: the floor
//! and the boundary decide before any remembered answer is looked at.

use super::CommandCheck;
use super::evaluate::Outcome;
use super::shell::Severity;

/// The key of the question asked about a command `check` escalated, run by skill `skill`.
pub fn command(skill: &str, check: &CommandCheck) -> String {
    let mut causes: Vec<&str> = check
        .analysis
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Escalate)
        .map(|f| f.id.as_str())
        .chain(
            check
                .parts
                .iter()
                .filter(|p| p.verdict.outcome != Outcome::Allow)
                .map(|p| p.verdict.decided_by.as_str()),
        )
        .chain(std::iter::once(check.verdict.decided_by.as_str()))
        .map(|c| c.strip_prefix("rule:").unwrap_or(c))
        .collect();
    causes.sort_unstable();
    causes.dedup();
    format!("{skill}: {} [{}]", check.analysis.shape, causes.join(", "))
}

/// The key of a `decide` or failure question: its workflow and step.
pub fn step(workflow: &str, step: &str) -> String {
    format!("{workflow}:{step}")
}

/// What a remembered answer to a question with this key covers, for a person: the commands
/// of the same shape (`node -e …`), or the questions of one step. `None` for a key of another
/// form (one stored before keys had one).
pub fn covers(key: &str) -> Option<String> {
    if let Some((_, rest)) = key.split_once(": ") {
        let shape = rest.rsplit_once(" [").map_or(rest, |(shape, _)| shape);
        let commands: Vec<&str> = shape.split(" ; ").collect();
        // The `sh -c <script>` a step's command runs in wraps the rest: it says nothing.
        let shown: Vec<String> = commands
            .iter()
            .enumerate()
            .filter(|(i, c)| !(*i == 0 && commands.len() > 1 && c.ends_with(" <script>")))
            .map(|(_, c)| c.replace("<code>", "…").replace("<script>", "…"))
            .collect();
        return Some(format!("`{}`", shown.join("; ")));
    }
    let (workflow, step) = key.split_once(':')?;
    Some(format!(
        "the questions of step `{step}` in workflow `{workflow}`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, Query, shell_command};
    use crate::protocol::{DecisionKind, Risk};
    use std::path::PathBuf;

    fn key(line: &str, risk: Risk) -> String {
        let policy = Policy::builtin().expect("valid");
        let scope = policy.scope(
            &PathBuf::from("/nonexistent-bosun-key"),
            &PathBuf::from("/nonexistent-bosun-key"),
            Default::default(),
        );
        let q = Query {
            kind: DecisionKind::Command,
            skill: "shell",
            workflow: None,
            step: None,
            risk,
        };
        command(
            "shell",
            &policy.check_command(&shell_command(line), &scope, &q),
        )
    }

    #[test]
    fn near_identical_commands_share_a_key_and_more_dangerous_ones_do_not() {
        let node = key("node -e 'console.log(1)'", Risk::Medium);
        assert_eq!(node, key("node -e 'console.log(4)'", Risk::Medium));
        assert_eq!(
            node,
            "shell: sh -c <script> ; node -e <code> [shell.opaque]"
        );
        // Another option, or the same code feeding on a secret, is another question.
        assert_ne!(
            node,
            key("node --inspect -e 'console.log(1)'", Risk::Medium)
        );
        assert_ne!(node, key("node -e 'console.log(1)' < .env", Risk::Medium));
        // What only the skill's risk asked about keeps its options apart.
        let rm = key("rm build/x", Risk::High);
        assert_eq!(rm, key("rm build/y", Risk::High));
        assert_ne!(rm, key("rm -rf build", Risk::High));
        assert_ne!(rm, key("rm build/x /", Risk::High));
        // The same shape asked for a reason of its own (a rule about what it is) differs.
        assert_ne!(
            key("git push origin feature", Risk::High),
            key("git push origin main", Risk::High)
        );
    }

    #[test]
    fn a_key_reads_as_what_it_covers() {
        assert_eq!(
            covers("shell: sh -c <script> ; node -e <code> [shell.opaque]").as_deref(),
            Some("`node -e …`")
        );
        assert_eq!(
            covers("shell: sh -c <script> ; cargo build ; python3 -c <code> [policy]").as_deref(),
            Some("`cargo build; python3 -c …`")
        );
        assert_eq!(
            covers(&step("ci", "ship")).as_deref(),
            Some("the questions of step `ship` in workflow `ci`")
        );
    }
}
