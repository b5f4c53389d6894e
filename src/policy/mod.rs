//! The policy: who decides what. Commands are read (`shell`) and checked against the safety
//! floor, the path boundary and the rules before they run; decide steps and failed steps get a
//! choice or go to the inbox. Precedence is written down in `evaluate` and docs/policy.md.
//!
//! The built-in rules (`builtin.yaml`) escalate commands that reach beyond the project —
//! pushes, publishing, deploys, history rewrites; `.bosun/policy.yaml` adds the project's own.
//! Both are checked when they load, example commands included.

mod cache;
mod evaluate;
pub mod key;
mod rules;
pub mod shell;
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use cache::PolicyCache;
pub use evaluate::{Outcome, PartVerdict, Query, Verdict};
pub use rules::{Action, Origin, Rule};

use crate::config::ProjectPaths;
use crate::diagnostic::{Diagnostic, Diagnostics};
use shell::{Analysis, Scope};

const BUILTIN: &str = include_str!("builtin.yaml");
const BUILTIN_NAME: &str = "<built-in policy>";

/// The rules in force and the roots beyond the project that skills may touch.
#[derive(Debug, Clone)]
pub struct Policy {
    pub rules: Vec<Rule>,
    /// Readable and writable besides the project.
    pub extra_roots: Vec<PathBuf>,
    /// Readable besides the project.
    pub read_roots: Vec<PathBuf>,
}

/// A command line judged.
#[derive(Debug, Clone)]
pub struct CommandCheck {
    pub analysis: Analysis,
    pub verdict: Verdict,
    /// One per entry of `analysis.commands`.
    pub parts: Vec<PartVerdict>,
    /// The index in `parts` of the part that decided; `None` when the line as a whole did.
    pub cause: Option<usize>,
}

/// Where an example command is read: a project that does not exist, so only the command's
/// words matter.
fn example_scope() -> Scope {
    Scope {
        cwd: PathBuf::from("/nonexistent-bosun-project"),
        project: PathBuf::from("/nonexistent-bosun-project"),
        write_roots: Vec::new(),
        read_roots: Vec::new(),
        home: Some(PathBuf::from("/nonexistent-bosun-home")),
        env: BTreeMap::new(),
    }
}

fn shell_argv(command: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), command.into()]
}

fn example_matches(m: &rules::Matcher, example: &str) -> bool {
    let scope = example_scope();
    let analysis = shell::analyze(&shell_argv(example), &scope);
    let paths = path_texts(&analysis, &scope.project);
    analysis
        .commands
        .iter()
        .any(|c| evaluate::matches_command(m, c, &paths))
}

/// The paths a command touches as rules see them: relative to the project when inside it.
fn path_texts(analysis: &Analysis, project: &Path) -> Vec<String> {
    analysis
        .paths
        .iter()
        .map(|p| match &p.resolved {
            Some(path) => match path.strip_prefix(project) {
                Ok(rel) => rel.display().to_string(),
                Err(_) => path.display().to_string(),
            },
            None => p.raw.clone(),
        })
        .collect()
}

fn parse(
    file: &Path,
    text: &str,
    origin: Origin,
) -> Result<(Vec<Rule>, rules::RawPolicy), Diagnostics> {
    let mut raw: rules::RawPolicy =
        crate::diagnostic::parse_yaml(file, text).map_err(Diagnostics::from)?;
    let rules = rules::check_rules(
        file,
        std::mem::take(&mut raw.rules),
        origin,
        &example_matches,
    )?;
    Ok((rules, raw))
}

/// Expands `~` and makes a root absolute (relative roots are under the project).
fn root(text: &str, project: &Path) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let path = match (text.strip_prefix("~/"), &home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if text == "~" => home.clone().unwrap_or_else(|| PathBuf::from(text)),
        _ => project.join(text),
    };
    std::fs::canonicalize(&path).unwrap_or(path)
}

impl Policy {
    /// The built-in rules alone.
    pub fn builtin() -> Result<Policy, Diagnostics> {
        // Read and compiled once per process (about 40 ms of patterns): the interface's check
        // at start, the engine's load and every reload after an edit share them.
        static RULES: std::sync::OnceLock<Result<Vec<Rule>, Diagnostics>> =
            std::sync::OnceLock::new();
        let rules = RULES
            .get_or_init(|| {
                parse(Path::new(BUILTIN_NAME), BUILTIN, Origin::Builtin).map(|(rules, _)| rules)
            })
            .clone()?;
        Ok(Policy {
            rules,
            extra_roots: Vec::new(),
            read_roots: Vec::new(),
        })
    }

    /// The built-in rules and the project's `.bosun/policy.yaml`, if it exists.
    pub fn load(paths: &ProjectPaths) -> Result<Policy, Diagnostics> {
        let file = paths.policy_file();
        match std::fs::read_to_string(&file) {
            Ok(text) => Policy::from_text(&file, &text, &paths.root),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Policy::builtin(),
            Err(e) => Err(Diagnostics::from(Diagnostic::whole_file(
                &file,
                format!("cannot read: {e}"),
            ))),
        }
    }

    /// The built-in rules and a project policy given as text.
    pub fn from_text(file: &Path, text: &str, project: &Path) -> Result<Policy, Diagnostics> {
        let mut policy = Policy::builtin()?;
        if text.trim().is_empty() {
            return Ok(policy);
        }
        let (rules, raw) = parse(file, text, Origin::Project)?;
        let builtin_ids: Vec<&str> = policy.rules.iter().map(|r| r.id.as_str()).collect();
        if let Some(clash) = rules.iter().find(|r| builtin_ids.contains(&r.id.as_str())) {
            return Err(Diagnostics::from(Diagnostic::whole_file(
                file,
                format!("rule id `{}` is taken by a built-in rule", clash.id),
            )));
        }
        policy.rules.extend(rules);
        policy.extra_roots = raw.extra_roots.iter().map(|r| root(r, project)).collect();
        policy.read_roots = raw.read_roots.iter().map(|r| root(r, project)).collect();
        Ok(policy)
    }

    /// Where a command runs and what it may touch.
    pub fn scope(&self, project: &Path, cwd: &Path, env: BTreeMap<String, String>) -> Scope {
        Scope {
            cwd: cwd.to_path_buf(),
            project: std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf()),
            write_roots: self.extra_roots.clone(),
            read_roots: self.read_roots.clone(),
            home: std::env::var_os("HOME").map(PathBuf::from),
            env,
        }
    }

    /// Judges a command (`argv`, as the skill renders it) before it runs.
    pub fn check_command(&self, argv: &[String], scope: &Scope, query: &Query) -> CommandCheck {
        let analysis = shell::analyze(argv, scope);
        let paths = path_texts(&analysis, &scope.project);
        let judged = evaluate::command(&self.rules, query, &analysis, &paths);
        CommandCheck {
            analysis,
            verdict: judged.verdict,
            parts: judged.parts,
            cause: judged.cause,
        }
    }

    /// Judges a decision: a `decide` step, or what to do about a failed step.
    pub fn check_decision(
        &self,
        query: &Query,
        question: &str,
        options: &[String],
        default: &str,
    ) -> Verdict {
        evaluate::decision(&self.rules, query, question, options, default)
    }

    /// Judges an agent's tool call that no command stands for, by its name (an MCP tool's
    /// `mcp__server__tool`): a rule with `tool:` decides, else the user.
    pub fn check_tool(&self, tool: &str, query: &Query) -> Verdict {
        tools::tool(&self.rules, query, tool)
    }
}

/// The argv of `sh -c COMMAND`: how `bosun policy check` and rule examples read a command.
pub fn shell_command(command: &str) -> Vec<String> {
    shell_argv(command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{DecisionKind, Risk};

    fn query(skill: &str, risk: Risk) -> Query<'_> {
        Query {
            kind: DecisionKind::Command,
            skill,
            workflow: None,
            step: None,
            risk,
        }
    }

    #[test]
    fn the_builtin_rules_load_and_their_examples_hold() {
        let policy = Policy::builtin().expect("built-in policy is valid");
        assert!(policy.rules.iter().any(|r| r.id == "builtin.git-push"));
    }

    #[test]
    fn a_project_rule_beats_a_builtin_one_of_equal_specificity() {
        let text = "rules:\n  - id: push-features\n    match: { command: \"git push *\" }\n    action: allow\n";
        let policy =
            Policy::from_text(Path::new("policy.yaml"), text, Path::new("/p")).expect("valid");
        let scope = example_scope();
        let check = policy.check_command(
            &shell_command("git push origin x"),
            &scope,
            &query("shell", Risk::Medium),
        );
        assert_eq!(check.verdict.outcome, Outcome::Allow);
        assert_eq!(check.verdict.decided_by, "rule:push-features");
    }

    /// docs/policy.md: a deny rule of yours wins over a finding that only asks.
    #[test]
    fn a_project_deny_rule_decides_before_a_finding_that_asks() {
        let text =
            "rules:\n  - id: no-keys\n    match: { command: \"cat *id_rsa*\" }\n    action: deny\n";
        let policy =
            Policy::from_text(Path::new("policy.yaml"), text, Path::new("/p")).expect("valid");
        let q = query("shell", Risk::Medium);
        let check = policy.check_command(&shell_command("cat ~/.ssh/id_rsa"), &example_scope(), &q);
        assert_eq!(check.verdict.outcome, Outcome::Deny, "{:?}", check.verdict);
        assert_eq!(check.verdict.decided_by, "rule:no-keys");
        let other = policy.check_command(&shell_command("cat ~/.ssh/config"), &example_scope(), &q);
        assert_eq!(other.verdict.outcome, Outcome::Escalate);
        assert_eq!(other.verdict.decided_by, "rule:secrets.read");
    }

    /// The verdict names the part that caused it, and that part does not read `allow`.
    #[test]
    fn the_verdict_names_the_part_that_caused_it() {
        let policy = Policy::builtin().expect("valid");
        let q = query("shell", Risk::Medium);
        let check = |line: &str| policy.check_command(&shell_command(line), &example_scope(), &q);
        let node = check("cargo build && node -e 'console.log(1)'");
        assert_eq!(node.verdict.outcome, Outcome::Escalate);
        let cause = node.cause.and_then(|i| node.analysis.commands.get(i));
        assert_eq!(
            cause.map(|c| c.shown()).as_deref(),
            Some("node -e 'console.log(1)'")
        );
        let part = node
            .cause
            .and_then(|i| node.parts.get(i))
            .map(|p| &p.verdict);
        assert_eq!(
            part.map(|v| &v.outcome),
            Some(&Outcome::Escalate),
            "{:?}",
            node.parts
        );
        assert_eq!(
            part.map(|v| v.decided_by.as_str()),
            Some("rule:shell.opaque")
        );
        // What could not be read at all is about the line as a whole (the `sh -c` around it).
        let case = check("case x in a) ls;; esac");
        assert_eq!(case.verdict.outcome, Outcome::Escalate);
        assert_eq!(case.cause, Some(0));
        // A denial names its part too.
        let tee = check("cargo test | tee /nonexistent-bosun-elsewhere/x");
        let cause = tee.cause.and_then(|i| tee.analysis.commands.get(i));
        assert_eq!(
            cause.map(|c| c.text.as_str()),
            Some("tee /nonexistent-bosun-elsewhere/x")
        );
        assert!(
            tee.verdict.reason.contains("`extra_roots`"),
            "{:?}",
            tee.verdict
        );
    }

    /// A reason quotes the whole part, or every part when the line as a whole was decided.
    #[test]
    fn reasons_quote_whole_parts() {
        let policy = Policy::builtin().expect("valid");
        let q = query("shell", Risk::Medium);
        let check = |line: &str| policy.check_command(&shell_command(line), &example_scope(), &q);
        let exit = check("echo 'a b'; exit 3");
        assert_eq!(
            exit.verdict.reason,
            "skill `shell` is medium risk and no rule objects to any of its 2 parts \
             (`echo 'a b'`, `exit 3`)"
        );
        assert_eq!(exit.cause, None);
        let one = check("grep -n 'fn main' src/main.rs");
        assert_eq!(
            one.verdict.reason,
            "skill `shell` is medium risk and no rule objects to `grep -n 'fn main' src/main.rs`"
        );
    }

    #[test]
    fn a_failing_example_is_reported_at_its_position() {
        let text = "rules:\n  - id: cargo\n    match: { command: \"cargo test *\" }\n    action: allow\n    examples:\n      match: [\"cargo build\"]\n";
        let err = Policy::from_text(Path::new("policy.yaml"), text, Path::new("/p"))
            .expect_err("invalid");
        let shown = err.to_string();
        assert!(shown.contains("policy.yaml:6:"), "{shown}");
        assert!(shown.contains("`cargo build` should match"), "{shown}");
    }

    #[test]
    fn risk_decides_when_no_rule_does() {
        let policy = Policy::builtin().expect("valid");
        let scope = example_scope();
        let low = policy.check_command(
            &shell_command("cargo test"),
            &scope,
            &query("shell", Risk::Medium),
        );
        assert_eq!(low.verdict.outcome, Outcome::Allow);
        assert_eq!(low.verdict.decided_by, "policy");
        let high = policy.check_command(
            &shell_command("cargo test"),
            &scope,
            &query("deploy", Risk::High),
        );
        assert_eq!(high.verdict.outcome, Outcome::Escalate);
    }

    #[test]
    fn decisions_take_a_rule_choice_or_follow_risk() {
        let text =
            "rules:\n  - id: ship\n    match: { workflow: ci, step: ship }\n    choice: push\n";
        let policy =
            Policy::from_text(Path::new("policy.yaml"), text, Path::new("/p")).expect("valid");
        let options = vec!["push".to_string(), "hold".to_string()];
        let mut q = query("decide", Risk::High);
        q.kind = DecisionKind::Decide;
        q.workflow = Some("ci");
        q.step = Some("ship");
        let v = policy.check_decision(&q, "Push?", &options, "hold");
        assert_eq!(v.outcome, Outcome::Choose("push".into()));
        assert_eq!(v.decided_by, "rule:ship");
        q.step = Some("other");
        assert_eq!(
            policy.check_decision(&q, "Push?", &options, "hold").outcome,
            Outcome::Escalate
        );
        q.risk = Risk::Low;
        assert_eq!(
            policy.check_decision(&q, "Push?", &options, "hold").outcome,
            Outcome::Choose("hold".into())
        );
    }
}
