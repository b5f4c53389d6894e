//! `bosun policy check`: what the policy would do with a command, and which rule decides.

use std::io::Write;

use serde::Serialize;

use super::format::print_json;
use super::{CliError, CliResult, Project};
use crate::definitions::skills::{load_skills, skill};
use crate::policy::{Policy, Query, shell_command};
use crate::protocol::DecisionKind;

#[derive(Serialize)]
struct Finding<'a> {
    id: &'a str,
    severity: &'static str,
    reason: &'a str,
}

#[derive(Serialize)]
struct Part<'a> {
    command: &'a str,
    /// The part as it would be typed again (quoted where needed).
    shown: String,
    outcome: &'a str,
    decided_by: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct CheckReport<'a> {
    command: &'a str,
    skill: &'a str,
    outcome: &'a str,
    decided_by: &'a str,
    reason: &'a str,
    /// The part that decided, as typed; `None` when the line as a whole did.
    cause: Option<String>,
    findings: Vec<Finding<'a>>,
    parts: Vec<Part<'a>>,
    paths: Vec<String>,
}

/// What the policy would do with `command` run by `skill_name` in `workflow`.
pub fn check(
    project: &Project,
    command: &str,
    skill_name: &str,
    workflow: Option<&str>,
    json: bool,
) -> CliResult {
    let policy = Policy::load(&project.paths).map_err(CliError::bad_input)?;
    let skills = load_skills(&project.paths);
    let risk = match skill(&skills, skill_name) {
        Some(Ok(s)) => s.risk,
        Some(Err(e)) => return Err(CliError::bad_input(e)),
        None => {
            return Err(CliError::bad_input(format!(
                "no skill `{skill_name}`; `bosun skills` lists them"
            )));
        }
    };
    let cwd = project.paths.root.clone();
    let scope = policy.scope(&project.paths.root, &cwd, std::env::vars().collect());
    let query = Query {
        kind: DecisionKind::Command,
        skill: skill_name,
        workflow,
        step: None,
        risk,
    };
    let check = policy.check_command(&shell_command(command), &scope, &query);
    let v = &check.verdict;
    let shown = |i: usize| {
        check
            .analysis
            .commands
            .get(i)
            .map(|c| c.shown())
            .unwrap_or_default()
    };
    // Part 0 is the `sh -c COMMAND` this check wraps the line in: about it is about the whole.
    let cause = check.cause.filter(|i| *i > 0).map(shown);
    let report = CheckReport {
        command,
        skill: skill_name,
        outcome: v.outcome.as_str(),
        decided_by: &v.decided_by,
        reason: &v.reason,
        cause,
        findings: check
            .analysis
            .findings
            .iter()
            .map(|f| Finding {
                id: &f.id,
                severity: match f.severity {
                    crate::policy::shell::Severity::Deny => "deny",
                    crate::policy::shell::Severity::Escalate => "escalate",
                },
                reason: &f.reason,
            })
            .collect(),
        parts: check
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| Part {
                command: &p.text,
                shown: shown(i),
                outcome: p.verdict.outcome.as_str(),
                decided_by: &p.verdict.decided_by,
                reason: &p.verdict.reason,
            })
            .collect(),
        paths: check
            .analysis
            .paths
            .iter()
            .map(|p| {
                let at = p
                    .resolved
                    .as_ref()
                    .map_or(p.raw.clone(), |r| r.display().to_string());
                format!(
                    "{:?} {at}{}",
                    p.access,
                    if p.inside { "" } else { " (outside)" }
                )
            })
            .collect(),
    };
    if json {
        return print_json(&report);
    }
    let mut out = std::io::stdout().lock();
    let because = match (&report.cause, &v.outcome) {
        (_, crate::policy::Outcome::Allow) => String::new(),
        (Some(part), _) => format!(", because of `{part}`"),
        (None, _) => ", because of the command line as a whole".into(),
    };
    let _ = writeln!(
        out,
        "{}{because}: decided by {} — {}",
        report.outcome, report.decided_by, report.reason
    );
    for f in &report.findings {
        let _ = writeln!(out, "  finding {} ({}): {}", f.id, f.severity, f.reason);
    }
    // The `sh -c` wrapper is this check's own, not a part the user wrote.
    let parts = report.parts.get(1..).unwrap_or_default();
    if parts.len() > 1 {
        for p in parts {
            let _ = writeln!(out, "  `{}` → {} ({})", p.shown, p.outcome, p.decided_by);
        }
    }
    for p in &report.paths {
        let _ = writeln!(out, "  path: {p}");
    }
    Ok(())
}
