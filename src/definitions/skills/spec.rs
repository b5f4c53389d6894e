//! A skill manifest (DESIGN.md §5): parsing with positions, validation, and the checked model
//! that is frozen into a task's plan.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::config::DurationSpec;
use crate::config::agents::ADAPTERS;
use crate::definitions::inputs::{InputSpec, is_identifier};
use crate::definitions::template::Templates;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::protocol::Risk;

/// How a skill runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SkillKind {
    /// A process in the project directory.
    Command,
    /// A coding agent run headless through an adapter.
    Agent,
    /// Built into Bosun.
    Builtin,
}

/// A validated skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    pub name: String,
    pub description: String,
    pub kind: SkillKind,
    pub inputs: BTreeMap<String, InputSpec>,
    /// argv templates; they see the skill's inputs by name, `task` and `project`.
    pub command: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Working directory template, relative to the project root.
    pub workdir: Option<String>,
    pub timeout: Option<DurationSpec>,
    pub risk: Risk,
    /// An agent skill's adapter (`claude-code`, `codex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// An agent skill's prompt template; it sees the inputs, `task` and `project`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The most model turns an agent step may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkill {
    name: Option<String>,
    #[serde(default)]
    description: String,
    kind: Spanned<SkillKind>,
    #[serde(default)]
    inputs: BTreeMap<String, InputSpec>,
    #[serde(default)]
    command: Vec<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
    workdir: Option<Spanned<String>>,
    timeout: Option<DurationSpec>,
    #[serde(default = "default_risk")]
    risk: Risk,
    adapter: Option<Spanned<String>>,
    prompt: Option<Spanned<String>>,
    max_turns: Option<u32>,
}

fn default_risk() -> Risk {
    Risk::Medium
}

/// Names a skill template may read besides its inputs.
const CONTEXT_NAMES: &[&str] = &["task", "project"];

/// Parses and validates a skill manifest.
pub fn parse_skill(path: &Path, text: &str) -> Result<Skill, Diagnostics> {
    let raw: RawSkill = crate::diagnostic::parse_yaml(path, text)?;
    let name = raw.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let mut problems = Diagnostics::default();
    let kind_at = &raw.kind.referenced;
    match raw.kind.value {
        SkillKind::Command => {
            if raw.command.is_empty() {
                problems.push(Diagnostic::at(
                    path,
                    kind_at,
                    "a `command` skill needs a non-empty `command` list",
                ));
            }
            if let Some(adapter) = &raw.adapter {
                problems.push(Diagnostic::at(
                    path,
                    &adapter.referenced,
                    "`adapter` is for `kind: agent` skills",
                ));
            }
        }
        SkillKind::Agent => check_agent(path, &raw, &mut problems),
        SkillKind::Builtin => problems.push(Diagnostic::at(
            path,
            kind_at,
            "`kind: builtin` is reserved for skills compiled into Bosun; use `kind: command` or `kind: agent`",
        )),
    }
    for input in raw.inputs.keys() {
        if !is_identifier(input) {
            problems.push(Diagnostic::whole_file(
                path,
                format!("input name `{input}` must be letters, digits and `_`"),
            ));
        }
    }
    for (name, value) in &raw.env {
        if let Some(problem) = crate::config::environment::env_name_problem(name) {
            problems.push(Diagnostic::at(
                path,
                &value.referenced,
                format!("env: {problem}"),
            ));
        }
    }
    let templates = Templates::new();
    let mut check = |field: &str, t: &Spanned<String>| match templates.check_template(&t.value) {
        Err(e) => problems.push(Diagnostic::at(
            path,
            &t.referenced,
            format!("{field}: bad template: {e}"),
        )),
        Ok(names) => {
            for n in names {
                let root = n.split('.').next().unwrap_or(&n);
                if !raw.inputs.contains_key(root) && !CONTEXT_NAMES.contains(&root) {
                    problems.push(Diagnostic::at(
                            path,
                            &t.referenced,
                            format!("{field}: `{root}` is not an input of this skill (declare it under `inputs`)"),
                        ));
                }
            }
        }
    };
    for arg in &raw.command {
        check("command", arg);
    }
    for value in raw.env.values() {
        check("env", value);
    }
    if let Some(dir) = &raw.workdir {
        check("workdir", dir);
    }
    if let Some(prompt) = &raw.prompt {
        check("prompt", prompt);
    }
    problems.into_result(Skill {
        name,
        description: raw.description,
        kind: raw.kind.value,
        inputs: raw.inputs,
        command: raw.command.into_iter().map(|s| s.value).collect(),
        env: raw.env.into_iter().map(|(k, v)| (k, v.value)).collect(),
        workdir: raw.workdir.map(|w| w.value),
        timeout: raw.timeout,
        risk: raw.risk,
        adapter: raw.adapter.map(|a| a.value),
        prompt: raw.prompt.map(|p| p.value),
        max_turns: raw.max_turns,
    })
}

/// An agent skill names a known adapter and a prompt, and runs no command of its own.
fn check_agent(path: &Path, raw: &RawSkill, problems: &mut Diagnostics) {
    let kind_at = &raw.kind.referenced;
    match &raw.adapter {
        None => problems.push(Diagnostic::at(
            path,
            kind_at,
            format!(
                "a `kind: agent` skill names its `adapter` ({})",
                ADAPTERS.join(", ")
            ),
        )),
        Some(adapter) if !ADAPTERS.contains(&adapter.value.as_str()) => {
            problems.push(Diagnostic::at(
                path,
                &adapter.referenced,
                format!(
                    "unknown adapter `{}` (known: {})",
                    adapter.value,
                    ADAPTERS.join(", ")
                ),
            ))
        }
        Some(_) => {}
    }
    if raw.prompt.is_none() {
        problems.push(Diagnostic::at(
            path,
            kind_at,
            "a `kind: agent` skill needs a `prompt` template (e.g. `prompt: \"{{ prompt }}\"`)",
        ));
    }
    if let Some(first) = raw.command.first() {
        problems.push(Diagnostic::at(
            path,
            &first.referenced,
            "an agent skill runs its adapter's binary (`agents.<adapter>.command` in the settings), not a `command`",
        ));
    }
    if raw.max_turns == Some(0) {
        problems.push(Diagnostic::at(
            path,
            kind_at,
            "`max_turns` must be at least 1",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Skill, Diagnostics> {
        parse_skill(Path::new("s.yaml"), text)
    }

    #[test]
    fn parses_a_command_skill() {
        let s = parse("name: shell\nkind: command\ninputs:\n  run: { required: true }\ncommand: [sh, -c, \"{{ run }}\"]\ntimeout: 10m\nrisk: medium\n").expect("valid");
        assert_eq!(s.command, vec!["sh", "-c", "{{ run }}"]);
        assert_eq!(s.timeout.map(|t| t.0.as_secs()), Some(600));
    }

    #[test]
    fn reports_undeclared_inputs_with_position() {
        let err =
            parse("kind: command\ncommand: [echo, \"{{ mesage }}\"]\n").expect_err("undeclared");
        let d = &err.0[0];
        assert_eq!((d.line, d.column), (2, 17));
        assert!(d.message.contains("`mesage` is not an input"), "{d}");
    }

    #[test]
    fn parses_an_agent_skill_and_refuses_unknown_adapters() {
        let s = parse("name: claude\nkind: agent\nadapter: claude-code\ninputs:\n  prompt: { required: true }\nprompt: \"{{ prompt }}\"\nmax_turns: 30\n").expect("valid");
        assert_eq!(s.adapter.as_deref(), Some("claude-code"));
        assert_eq!(s.max_turns, Some(30));
        let err = parse("kind: agent\nadapter: gpt\nprompt: hi\n").expect_err("unknown adapter");
        assert!(
            err.to_string()
                .contains("s.yaml:2:10: unknown adapter `gpt`"),
            "{err}"
        );
        let err = parse("kind: agent\nadapter: codex\n").expect_err("no prompt");
        assert!(err.to_string().contains("needs a `prompt`"), "{err}");
        let err = parse("kind: agent\nadapter: codex\nprompt: \"{{ promt }}\"\n")
            .expect_err("undeclared input");
        assert!(err.to_string().contains("`promt` is not an input"), "{err}");
    }

    #[test]
    fn reports_unknown_kinds_and_fields() {
        let err = parse("kind: comand\ncommand: [x]\n").expect_err("bad kind");
        assert!(err.to_string().contains("s.yaml:1:"), "{err}");
        let err = parse("kind: command\ncommand: [x]\nretries: 3\n").expect_err("unknown field");
        assert!(err.to_string().contains("retries"), "{err}");
    }
}
