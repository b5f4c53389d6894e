//! One skill step: render its command, wait for a skill slot, run the process (recording its PID
//! before waiting on it), and retry with exponential backoff when it fails.

use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::checks::{AfterFailure, Gate};
use super::{Halt, Run};
use crate::definitions::skills::Skill;
use crate::definitions::workflow::{Step, StepKind};
use crate::engine::process::{self, Ended, ProcessOutcome, ProcessSpec};
use crate::protocol::{EngineEvent, StepStatus};
use crate::store::{StepRow, StoreError, WriteOp};
use crate::time::now_rfc3339;

/// How often a running step's output so far is saved, for `bosun show`.
const OUTPUT_FLUSH: Duration = Duration::from_secs(1);

/// A failed attempt: what to store as the step's error (its streams are kept apart).
fn failure_message(outcome: &ProcessOutcome, timeout: Option<Duration>) -> String {
    match (outcome.ended, outcome.exit_code, outcome.signal) {
        (Ended::TimedOut, _, _) => format!(
            "timed out after {} (its process group was ended)",
            humantime::format_duration(timeout.unwrap_or_default())
        ),
        (_, Some(code), _) => format!("exited with code {code}"),
        (_, None, Some(signal)) => format!("killed by signal {signal}"),
        _ => "ended without an exit status".to_string(),
    }
}

impl Run<'_> {
    /// The skill's inputs as this step gives them (its `with`, rendered), defaults filled in.
    pub(crate) fn skill_inputs(
        &self,
        step: &Step,
        skill: &Skill,
        cv: &minijinja::Value,
    ) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        let StepKind::Skill { with, .. } = &step.kind else {
            return Err("not a skill step".into());
        };
        let t = &self.ctx.templates;
        let mut given = std::collections::BTreeMap::new();
        for (key, value) in with {
            let value = match value {
                serde_json::Value::String(template) => serde_json::Value::String(
                    t.render(template, cv)
                        .map_err(|e| format!("with.{key}: {e}"))?,
                ),
                other => other.clone(),
            };
            given.insert(key.clone(), value);
        }
        crate::definitions::inputs::resolve_inputs(
            &skill.inputs,
            &given,
            &format!("skill `{}`", skill.name),
        )
    }

    /// What a skill's own templates see: its inputs by name, `task` and `project`.
    pub(crate) fn skill_scope(
        &self,
        inputs: &serde_json::Map<String, serde_json::Value>,
    ) -> minijinja::Value {
        let mut scope = inputs.clone();
        scope.insert("task".into(), self.base.task.clone());
        scope.insert("project".into(), self.base.project.clone());
        minijinja::Value::from(minijinja::value::Serde(serde_json::Value::Object(scope)))
    }

    /// Renders the skill's command for this step (an agent skill's is empty: its adapter
    /// makes the command line).
    pub(crate) fn render(
        &self,
        step: &Step,
        skill: &Skill,
        cv: &minijinja::Value,
    ) -> Result<ProcessSpec, String> {
        let StepKind::Skill { timeout, .. } = &step.kind else {
            return Err("not a skill step".into());
        };
        let t = &self.ctx.templates;
        let inputs = self.skill_inputs(step, skill, cv)?;
        let scope = self.skill_scope(&inputs);
        let argv = skill
            .command
            .iter()
            .map(|arg| t.render(arg, &scope).map_err(|e| format!("command: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut skill_env = std::collections::BTreeMap::new();
        for (key, value) in &skill.env {
            let value = t
                .render(value, &scope)
                .map_err(|e| format!("env.{key}: {e}"))?;
            skill_env.insert(key.clone(), value);
        }
        let workflow = &self.plan.workflow;
        let mut workflow_env = std::collections::BTreeMap::new();
        for (key, value) in &workflow.env {
            let value = t
                .render(value, cv)
                .map_err(|e| format!("workflow env.{key}: {e}"))?;
            workflow_env.insert(key.clone(), value);
        }
        let settings = self.ctx.settings.current();
        let mut env = crate::config::environment::StepEnv {
            inherited_path: std::env::var("PATH").ok(),
            layers: vec![&settings.env, &workflow_env, &skill_env],
            prefixes: vec![&workflow.path, &settings.path],
        }
        .resolve(self.root());
        // Last, so no `env` can hide a step from recovery (it finds processes by these).
        env.extend([
            ("BOSUN_TASK_ID".to_string(), self.task.id.to_string()),
            ("BOSUN_RUN_ID".to_string(), self.run_id.clone()),
            ("BOSUN_STEP_ID".to_string(), step.id.clone()),
            (
                "BOSUN_PROJECT".to_string(),
                self.ctx.paths.root.display().to_string(),
            ),
        ]);
        if let Some(placed) = &self.placed {
            env.extend([
                (
                    "BOSUN_WORKTREE".to_string(),
                    placed.path.display().to_string(),
                ),
                ("BOSUN_PORT_BASE".to_string(), placed.port_base.to_string()),
            ]);
        }
        let cwd = match &skill.workdir {
            Some(dir) => self
                .root()
                .join(t.render(dir, &scope).map_err(|e| format!("workdir: {e}"))?),
            None => PathBuf::from(self.root()),
        };
        Ok(ProcessSpec {
            argv,
            cwd,
            env,
            timeout: timeout.or(skill.timeout).map(|d| d.0),
            output_limit: settings.engine.output_limit,
            kill_grace: settings.engine.kill_grace,
            supervisor: self.ctx.supervisor.clone(),
            protocol: None,
        })
    }

    /// Stops a step because the run halts: back to pending if the engine stops (it runs again
    /// at the next start), cancelled if the user cancelled.
    pub(super) async fn halt_step(
        &self,
        mut row: StepRow,
        halt: Halt,
    ) -> Result<(StepRow, Option<Halt>), StoreError> {
        match halt {
            Halt::Interrupted => {
                if row.status == StepStatus::Running {
                    row.status = StepStatus::Pending;
                    let event = EngineEvent::StepInterrupted {
                        task_id: self.task.id.clone(),
                        step_id: row.id.clone(),
                    };
                    self.save(&row, vec![event]).await?;
                }
            }
            Halt::Cancelled => {
                self.close_step(&mut row, StepStatus::Cancelled, Some("cancelled".into()))
                    .await?
            }
        }
        Ok((row, Some(halt)))
    }

    pub(crate) async fn skill_step(
        &self,
        step: &Step,
        mut row: StepRow,
        cv: &minijinja::Value,
    ) -> Result<(StepRow, Option<Halt>), StoreError> {
        let StepKind::Skill {
            skill: name, retry, ..
        } = &step.kind
        else {
            return Ok((row, None));
        };
        let Some(skill) = self.plan.skills.get(name) else {
            self.close_step(
                &mut row,
                StepStatus::Failed,
                Some(format!("skill `{name}` is missing from the plan")),
            )
            .await?;
            return Ok((row, None));
        };
        // The budget counts every start recorded in the store, so a restart does not renew it.
        let attempts = i64::from(retry.as_ref().map_or(1, |r| r.attempts.max(1)));
        let mut budget = attempts;
        let mut checked = None;
        // A step cut off while asking what to do about its failure asks again, not runs again.
        let mut resume = row.attempts >= budget && self.failure_pending(step, &row).await?;
        loop {
            let error = if std::mem::take(&mut resume) {
                row.error.clone().unwrap_or_default()
            } else {
                match self
                    .attempt(step, skill, &mut row, &mut checked, cv)
                    .await?
                {
                    Attempt::Ended(halt) => return Ok((row, halt)),
                    Attempt::Failed(error) => error,
                }
            };
            let mut wait = Duration::ZERO;
            let mut consumed = None;
            // Whatever asks about the failure shows it: the row is saved with it first.
            row.error = Some(error.clone());
            if row.attempts >= budget {
                match self.after_failure(step, skill, &mut row, &error).await? {
                    AfterFailure::Retry(op) => {
                        budget = row.attempts + attempts;
                        consumed = op;
                    }
                    AfterFailure::Skip(op) => {
                        row.error = Some(error);
                        self.close_step_with(&mut row, StepStatus::Skipped, op.map(|op| *op))
                            .await?;
                        return Ok((row, None));
                    }
                    AfterFailure::Abort(op) => {
                        row.error = Some(error);
                        self.close_step_with(&mut row, StepStatus::Failed, op.map(|op| *op))
                            .await?;
                        return Ok((row, None));
                    }
                    AfterFailure::Halted(halt) => return self.halt_step(row, halt).await,
                }
            } else {
                let backoff = retry.as_ref().map(|r| r.backoff.0).unwrap_or_default();
                let doublings = u32::try_from(row.attempts - 1).unwrap_or(0).min(16);
                wait = backoff.saturating_mul(2u32.saturating_pow(doublings));
            }
            row.status = StepStatus::Pending;
            row.error = Some(error);
            let note = WriteOp::Log {
                level: "warn",
                task_id: Some(self.task.id.clone()),
                step_id: Some(row.id.clone()),
                message: format!(
                    "attempt {} failed; retrying in {} ({} left)",
                    row.attempts,
                    humantime::format_duration(wait),
                    crate::text::count(budget - row.attempts, "attempt")
                ),
            };
            let mut ops = vec![WriteOp::UpsertStep(row.clone()), note];
            ops.extend(consumed.map(|op| *op));
            self.ctx.write(ops).await?;
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.stop.cancelled() => {
                    let halt = self.halt().unwrap_or(Halt::Cancelled);
                    return self.halt_step(row, halt).await;
                }
            }
        }
    }

    /// One attempt: render the command, have it judged (once per distinct command), wait for
    /// a skill slot, run it. `Failed` carries the error of an attempt that may be retried.
    async fn attempt(
        &self,
        step: &Step,
        skill: &Skill,
        row: &mut StepRow,
        checked: &mut Option<Vec<String>>,
        cv: &minijinja::Value,
    ) -> Result<Attempt, StoreError> {
        if skill.kind == crate::definitions::skills::SkillKind::Agent {
            return self.agent_attempt(step, skill, row, cv).await;
        }
        let spec = match self.render(step, skill, cv) {
            Ok(spec) => spec,
            Err(e) => {
                self.close_step(row, StepStatus::Failed, Some(e)).await?;
                return Ok(Attempt::Ended(None));
            }
        };
        let mut consumed = None;
        if checked.as_ref() != Some(&spec.argv) {
            match self.check_command(step, skill, &spec, row).await? {
                Gate::Run(op) => consumed = op,
                Gate::Denied(reason) => {
                    self.close_step(row, StepStatus::Failed, Some(reason))
                        .await?;
                    return Ok(Attempt::Ended(None));
                }
                Gate::Halted(halt) => {
                    let (r, halt) = self.halt_step(row.clone(), halt).await?;
                    *row = r;
                    return Ok(Attempt::Ended(halt));
                }
            }
            *checked = Some(spec.argv.clone());
        }
        let permit = tokio::select! {
            permit = self.ctx.skill_slots.acquire() => permit,
            () = self.stop.cancelled() => None,
        };
        let Some(permit) = permit else {
            let halt = self.halt().unwrap_or(Halt::Cancelled);
            let (r, halt) = self.halt_step(row.clone(), halt).await?;
            *row = r;
            return Ok(Attempt::Ended(halt));
        };
        row.status = StepStatus::Running;
        row.attempts += 1;
        row.started_at = Some(now_rfc3339());
        row.finished_at = None;
        row.exit_code = None;
        let started = EngineEvent::StepStarted {
            task_id: self.task.id.clone(),
            step_id: row.id.clone(),
            attempt: row.attempts,
        };
        let mut ops = vec![WriteOp::UpsertStep(row.clone()), WriteOp::Event(started)];
        ops.extend(consumed.map(|op| *op));
        self.ctx.write(ops).await?;
        let timeout = spec.timeout;
        let outcome = self.execute(spec, row).await?;
        drop(permit);
        Ok(match outcome {
            Ok(outcome) if outcome.ended == Ended::Cancelled => {
                row.output = Some(outcome.stdout);
                row.stderr = Some(outcome.stderr);
                let halt = self.halt().unwrap_or(Halt::Cancelled);
                let (r, halt) = self.halt_step(row.clone(), halt).await?;
                *row = r;
                Attempt::Ended(halt)
            }
            Ok(outcome) if outcome.ended == Ended::Exited && outcome.exit_code == Some(0) => {
                row.output = Some(outcome.stdout);
                row.stderr = Some(outcome.stderr);
                row.exit_code = Some(0);
                row.error = None;
                self.close_step(row, StepStatus::Succeeded, None).await?;
                Attempt::Ended(None)
            }
            Ok(outcome) => {
                row.exit_code = outcome.exit_code;
                let message = failure_message(&outcome, timeout);
                row.output = Some(outcome.stdout);
                row.stderr = Some(outcome.stderr);
                Attempt::Failed(message)
            }
            Err(message) => Attempt::Failed(message),
        })
    }

    /// Records in the audit log the process a step is about to start (`kind`: `command` or
    /// `agent`, whose session id goes with it).
    pub(super) fn audit_start(&self, kind: &str, row: &StepRow, spec: &ProcessSpec) {
        let mut entry = serde_json::Map::new();
        entry.insert("kind".into(), kind.into());
        entry.insert("task_id".into(), self.task.id.as_str().into());
        entry.insert("run_id".into(), self.run_id.clone().into());
        entry.insert("step_id".into(), row.id.clone().into());
        entry.insert("attempt".into(), row.attempts.into());
        entry.insert("argv".into(), spec.argv.clone().into());
        entry.insert("cwd".into(), spec.cwd.display().to_string().into());
        if let Some(agent) = &row.agent {
            entry.insert("session_id".into(), agent.session_id.clone().into());
        }
        self.ctx.audit.record(entry);
    }

    /// Commits the PID and start time of a step's process, by which recovery finds it.
    pub(super) async fn record_process(
        &self,
        row: &StepRow,
        running: &process::Running,
    ) -> Result<(), StoreError> {
        self.ctx
            .write(vec![WriteOp::StepProcess {
                run_id: self.run_id.clone(),
                step_id: row.id.clone(),
                pid: i64::from(running.pid),
                proc_start: running
                    .start_time
                    .and_then(|t| i64::try_from(t).ok())
                    .unwrap_or(-1),
            }])
            .await
    }

    /// Starts the process, records it, and waits for it, saving its output as it goes.
    async fn execute(
        &self,
        spec: ProcessSpec,
        row: &mut StepRow,
    ) -> Result<Result<ProcessOutcome, String>, StoreError> {
        let program = spec.argv.first().cloned().unwrap_or_default();
        self.audit_start("command", row, &spec);
        let running = match process::spawn(spec) {
            Err(e) => return Ok(Err(format!("cannot start `{program}`: {e}"))),
            Ok(running) => running,
        };
        let recorded = self.record_process(row, &running).await;
        if let Err(e) = recorded {
            // Never leave a process running that no record points to.
            let now = CancellationToken::new();
            now.cancel();
            let _ = running.wait(&now).await;
            return Err(e);
        }
        let probe = running.output_probe();
        let wait = running.wait(&self.stop);
        tokio::pin!(wait);
        let mut tick = tokio::time::interval(OUTPUT_FLUSH);
        tick.tick().await;
        let mut shown = (0, 0);
        loop {
            tokio::select! {
                outcome = &mut wait => {
                    return Ok(outcome.map_err(|e| format!("lost the process: {e}")));
                }
                _ = tick.tick() => {
                    // Progress for `bosun show`; the final output replaces it.
                    let (text, out_total) = probe.stdout();
                    let (errors, err_total) = probe.stderr();
                    if (out_total, err_total) != shown {
                        shown = (out_total, err_total);
                        row.output = Some(text);
                        row.stderr = Some(errors);
                        // Best effort: leaving the loop would abandon the process.
                        let _ = self.save(row, vec![]).await;
                    }
                }
            }
        }
    }
}

/// How an attempt ended.
pub(super) enum Attempt {
    /// The step is closed (succeeded, failed for good, denied) or halted.
    Ended(Option<Halt>),
    /// The attempt failed; the step may be retried.
    Failed(String),
}
