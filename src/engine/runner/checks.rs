//! The policy around a skill step: its command is judged before it runs (allowed, denied with
//! the reason, or asked about), and a step that failed its last attempt is retried, skipped or
//! aborted as its skill's risk, a rule, `on_failure` or the user says; an agent's tool call
//! that is no command is judged by its name. Every verdict is a decision in the ledger.

use std::collections::BTreeMap;

use serde_json::json;

use super::agent_io::tool_summary;
use super::ask::{Answer, Question};
use super::{Halt, Run};
use crate::agents::{PermissionRequest, Reply};
use crate::definitions::skills::Skill;
use crate::definitions::workflow::{OnFailure, Step};
use crate::engine::process::ProcessSpec;
use crate::policy::{Outcome, Query, Verdict};
use crate::protocol::{DecisionKind, Risk};
use crate::store::{StepRow, StoreError, WriteOp};

/// Whether a step's command may run.
pub(crate) enum Gate {
    /// Run it; the op marks the user's answer acted on, when there was one.
    Run(Option<Box<WriteOp>>),
    /// The step fails with this reason.
    Denied(String),
    Halted(Halt),
}

/// What to do about a step that failed its last attempt.
pub(crate) enum AfterFailure {
    Retry(Option<Box<WriteOp>>),
    Skip(Option<Box<WriteOp>>),
    Abort(Option<Box<WriteOp>>),
    Halted(Halt),
}

/// A command as a person would type it: a shell's script, else the words, quoted as needed.
pub(crate) fn display_command(argv: &[String]) -> String {
    match argv {
        [sh, flag, script] if flag.starts_with('-') && flag.ends_with('c') && is_shell(sh) => {
            script.clone()
        }
        _ => argv
            .iter()
            .map(|w| {
                if !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
                {
                    w.clone()
                } else {
                    format!("'{}'", w.replace('\'', r"'\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Why a step failed, in one line: its error, then the last line it printed — on stderr, else
/// on stdout — which is where tools put the cause (`error: test failed`, `npm ERR! …`).
pub(crate) fn failure_cause(error: &str, row: &StepRow) -> String {
    let head = error.lines().next().unwrap_or(error);
    let last = |text: &Option<String>| {
        let plain = crate::text::strip_ansi(text.as_deref().unwrap_or(""));
        plain
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string)
    };
    match last(&row.stderr).or_else(|| last(&row.output)) {
        Some(line) if line != head => format!("{head} — {line}"),
        _ => head.to_string(),
    }
}

fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "sh" | "bash" | "zsh" | "dash")
}

const COMMAND_OPTIONS: [&str; 2] = ["allow", "deny"];
const FAILURE_OPTIONS: [&str; 3] = ["retry", "skip", "abort"];

fn strings(options: &[&str]) -> Vec<String> {
    options.iter().map(|o| o.to_string()).collect()
}

impl Run<'_> {
    fn query<'q>(
        &'q self,
        kind: DecisionKind,
        skill: &'q str,
        step: &'q str,
        risk: Risk,
    ) -> Query<'q> {
        Query {
            kind,
            skill,
            workflow: Some(&self.plan.workflow.name),
            step: Some(step),
            risk,
        }
    }

    /// Judges the command `spec` is about to run.
    pub(crate) async fn check_command(
        &self,
        step: &Step,
        skill: &Skill,
        spec: &ProcessSpec,
        row: &mut StepRow,
    ) -> Result<Gate, StoreError> {
        let question = format!("Run `{}`?", display_command(&spec.argv));
        self.judge(step, skill, spec, &spec.argv, (question, None), row)
            .await
    }

    /// Judges `argv` as if run with `spec`'s directory and environment, asking `question`
    /// (with its detail, shown under it) when the policy escalates: an agent's tool call is
    /// judged as the command it amounts to, with its own question and the call in full.
    pub(crate) async fn judge(
        &self,
        step: &Step,
        skill: &Skill,
        spec: &ProcessSpec,
        argv: &[String],
        (question, detail): (String, Option<String>),
        row: &mut StepRow,
    ) -> Result<Gate, StoreError> {
        let policy = self.ctx.policy.current(&self.ctx.problems);
        // The command sees the engine's environment plus the step's: so does the check.
        let env: BTreeMap<String, String> =
            std::env::vars().chain(spec.env.iter().cloned()).collect();
        let mut scope = policy.scope(self.root(), &spec.cwd, env);
        if self.placed.is_some() {
            // In a worktree the boundary is the worktree: the project's checkout may be read
            // (it is where the task came from), not written.
            let main = &self.ctx.paths.root;
            scope
                .read_roots
                .push(std::fs::canonicalize(main).unwrap_or_else(|_| main.clone()));
        }
        let query = self.query(DecisionKind::Command, &skill.name, &step.id, skill.risk);
        let check = policy.check_command(argv, &scope, &query);
        let options = strings(&COMMAND_OPTIONS);
        let key = crate::policy::key::command(&skill.name, &check);
        let verdict = check.verdict;
        let denied = |by: &str, why: &str| format!("denied by {by}: {why}");
        match verdict.outcome {
            Outcome::Allow | Outcome::Choose(_) => {
                self.record_decision(
                    row,
                    DecisionKind::Command,
                    &question,
                    &options,
                    "allow",
                    &verdict.decided_by,
                    &verdict.reason,
                    skill.risk,
                )
                .await?;
                Ok(Gate::Run(None))
            }
            Outcome::Deny => {
                self.record_decision(
                    row,
                    DecisionKind::Command,
                    &question,
                    &options,
                    "deny",
                    &verdict.decided_by,
                    &verdict.reason,
                    skill.risk,
                )
                .await?;
                Ok(Gate::Denied(denied(&verdict.decided_by, &verdict.reason)))
            }
            Outcome::Escalate => {
                let commands: Vec<&str> = check.parts.iter().map(|p| p.text.as_str()).collect();
                // A write to a guarded place (Bosun's own files, an agent's settings) is waived
                // only by a rule that names the place: a remembered rule names it too.
                let places: Vec<&str> = check
                    .analysis
                    .findings
                    .iter()
                    .filter_map(|f| f.guarded.as_ref().map(|g| g.path.as_str()))
                    .collect();
                let q = Question {
                    kind: DecisionKind::Command,
                    question,
                    options,
                    default: "deny".into(),
                    risk: if skill.risk.needs_user() {
                        skill.risk
                    } else {
                        Risk::High
                    },
                    reason: format!("{} ({})", verdict.reason, verdict.decided_by),
                    skill: Some(skill.name.clone()),
                    shape: key,
                    proposal: Some(json!({
                        "skill": skill.name,
                        "command": commands,
                        "path": places,
                    })),
                    timeout: self.ctx.settings.current().escalation.timeout,
                    detail,
                };
                Ok(match self.ask(row, q).await? {
                    Err(halt) => Gate::Halted(halt),
                    Ok(answer) if answer.choice == "allow" => {
                        Gate::Run(answer.consumed().map(Box::new))
                    }
                    Ok(answer) => {
                        let why = if answer.decided_by == "timeout" {
                            "no answer before the deadline; the default is to deny"
                        } else {
                            "the user said no"
                        };
                        self.consume(&answer).await?;
                        Gate::Denied(denied(&answer.decided_by, why))
                    }
                })
            }
        }
    }

    /// Judges an agent's tool call that no command stands for (an MCP tool, a web search) by
    /// its name: the reply when a `tool:` rule allows or denies it (a decision in the
    /// ledger), `None` when the user must be asked.
    pub(crate) async fn judge_tool(
        &self,
        step: &Step,
        skill: &Skill,
        row: &StepRow,
        request: &PermissionRequest,
    ) -> Result<Option<Reply>, StoreError> {
        let policy = self.ctx.policy.current(&self.ctx.problems);
        let query = self.query(DecisionKind::Command, &skill.name, &step.id, skill.risk);
        let verdict = policy.check_tool(&request.tool, &query);
        let (choice, reply) = match verdict.outcome {
            Outcome::Allow | Outcome::Choose(_) => ("allow", Reply::Allow),
            Outcome::Deny => (
                "deny",
                Reply::Deny(format!("Bosun's policy: {}", verdict.reason)),
            ),
            Outcome::Escalate => return Ok(None),
        };
        let question = format!(
            "Let the agent use `{}`?",
            tool_summary(&request.tool, &request.input)
        );
        let options = strings(&COMMAND_OPTIONS);
        self.record_decision(
            row,
            DecisionKind::Command,
            &question,
            &options,
            choice,
            &verdict.decided_by,
            &verdict.reason,
            skill.risk,
        )
        .await?;
        Ok(Some(reply))
    }

    pub(crate) async fn consume(&self, answer: &Answer) -> Result<(), StoreError> {
        match answer.consumed() {
            Some(op) => self.ctx.write(vec![op]).await,
            None => Ok(()),
        }
    }

    /// The question asked about a step that failed its last attempt.
    fn failure_question(step: &Step) -> String {
        format!(
            "Step `{}` failed after its last attempt. Retry it, skip it, or abort the task?",
            step.id
        )
    }

    /// Whether the step is waiting on (or has an unread answer to) its failure question: a
    /// step cut off while asking takes the question up again rather than running once more.
    pub(crate) async fn failure_pending(
        &self,
        step: &Step,
        row: &StepRow,
    ) -> Result<bool, StoreError> {
        let pending = crate::store::escalations::read::pending_for_step(
            &self.ctx.store.reader,
            &self.task.id,
            &row.id,
            DecisionKind::Failure,
            &Self::failure_question(step),
        )
        .await?;
        Ok(pending.is_some())
    }

    /// Decides what happens to a step that failed its last attempt with `error`.
    pub(crate) async fn after_failure(
        &self,
        step: &Step,
        skill: &Skill,
        row: &mut StepRow,
        error: &str,
    ) -> Result<AfterFailure, StoreError> {
        if step.continue_on_error {
            return Ok(AfterFailure::Abort(None));
        }
        let question = Self::failure_question(step);
        let options = strings(&FAILURE_OPTIONS);
        let first_line = failure_cause(error, row);
        // Failures are decided by risk like every other decision; `on_failure` overrides.
        let mode = step.on_failure.or(self.plan.workflow.on_failure);
        let risk = match mode {
            Some(OnFailure::Ask) if !skill.risk.needs_user() => Risk::High,
            _ => skill.risk,
        };
        let verdict = match mode {
            Some(OnFailure::Fail) => Verdict {
                outcome: Outcome::Choose("abort".into()),
                decided_by: "policy".into(),
                reason: format!("the workflow says `on_failure: fail`: {first_line}"),
            },
            _ => {
                let policy = self.ctx.policy.current(&self.ctx.problems);
                let query = self.query(DecisionKind::Failure, &skill.name, &step.id, risk);
                let mut verdict = policy.check_decision(&query, &question, &options, "abort");
                if verdict.decided_by == "policy" {
                    verdict.reason = format!(
                        "skill `{}` is {risk} risk, so its failure fails the task: {first_line}",
                        skill.name
                    );
                }
                verdict
            }
        };
        let answer = match verdict.outcome {
            Outcome::Choose(choice) => {
                self.record_decision(
                    row,
                    DecisionKind::Failure,
                    &question,
                    &options,
                    &choice,
                    &verdict.decided_by,
                    &verdict.reason,
                    risk,
                )
                .await?;
                Answer {
                    choice,
                    decided_by: verdict.decided_by,
                    escalation: None,
                }
            }
            _ => {
                let q = Question {
                    kind: DecisionKind::Failure,
                    question,
                    options,
                    default: "abort".into(),
                    risk,
                    reason: format!(
                        "it failed {}: {first_line}",
                        match row.attempts {
                            1 => "once".to_string(),
                            n => crate::text::count(n, "time"),
                        }
                    ),
                    skill: Some(skill.name.clone()),
                    shape: crate::policy::key::step(&self.plan.workflow.name, &step.id),
                    proposal: Some(
                        json!({ "workflow": self.plan.workflow.name, "step": step.id, "kind": "failure" }),
                    ),
                    timeout: self.ctx.settings.current().escalation.timeout,
                    detail: None,
                };
                match self.ask(row, q).await? {
                    Ok(answer) => answer,
                    Err(halt) => return Ok(AfterFailure::Halted(halt)),
                }
            }
        };
        let consumed = answer.consumed().map(Box::new);
        Ok(match answer.choice.as_str() {
            "retry" => AfterFailure::Retry(consumed),
            "skip" => AfterFailure::Skip(consumed),
            _ => AfterFailure::Abort(consumed),
        })
    }
}
