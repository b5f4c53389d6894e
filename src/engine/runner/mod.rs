//! Running one task's workflow to its end, durably.
//!
//! Invariants: a step's state is committed before anything depends on it; a step found
//! finished in the store is never run again (that is what makes a restart after `kill -9`
//! safe); only the steps cut off are run again. The runner ends in one of three ways: the task
//! finished (succeeded/failed), it was cancelled, or the engine is stopping and the task goes
//! back to the queue.

mod agent_budget;
mod agent_converse;
mod agent_home;
mod agent_io;
mod agent_notes;
mod agent_pause;
mod agent_step;
mod ask;
mod checks;
mod context;
mod isolation;
mod skill_step;
mod slots;
mod steps;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::config::ProjectPaths;
use crate::definitions::problems::DefinitionProblems;
use crate::definitions::template::Templates;
use crate::definitions::workflow::Plan;
use crate::engine::reload::LiveSettings;
use crate::protocol::{EngineEvent, StepStatus, TaskId, TaskStatus};
use crate::store::{StepRow, Store, StoreError, TaskRecord, WriteOp};

pub(crate) use agent_io::{retry_note, tool_detail};
pub use agent_pause::AgentPauses;
pub(crate) use ask::place_in_batch;
pub use slots::SkillSlots;
pub(crate) use steps::initial_rows;

/// What every runner shares: the settings in force, the store, and the engine-wide limit on
/// running skill processes.
#[derive(Debug)]
pub struct RunContext {
    pub store: Store,
    /// Read at each use (`settings.current()`): a config reload swaps them while tasks run.
    pub settings: LiveSettings,
    pub paths: ProjectPaths,
    pub templates: Templates,
    pub skill_slots: SkillSlots,
    /// What is wrong with the definitions this engine reads (config, policy, workflows,
    /// skills); the interface's status bar shows it.
    pub problems: DefinitionProblems,
    /// The engine's stop: store writes stop retrying once it fires.
    pub shutdown: CancellationToken,
    /// The `bosun` binary that supervises step processes, when the engine runs from it.
    pub supervisor: Option<std::path::PathBuf>,
    /// The rules in force, reloaded when `.bosun/policy.yaml` changes.
    pub policy: crate::policy::PolicyCache,
    /// Bumped whenever the store may have changed (another process wrote, a command came in):
    /// steps waiting on an answer look again.
    pub changes: tokio::sync::watch::Sender<u64>,
    /// Held while a question is put in the inbox, so batches fill in order.
    pub inbox_open: tokio::sync::Mutex<()>,
    /// This engine's session: answers remembered `--remember session` last as long as it.
    pub session: String,
    /// `.bosun/audit.jsonl`: every decision and every command run, hash-chained.
    pub audit: crate::store::audit::AuditHandle,
    /// Adapters whose API gave up: their agent steps wait before they go on.
    pub agent_pauses: AgentPauses,
}

impl RunContext {
    /// Commits `ops`, retrying with backoff while the store fails (locked by another program,
    /// a full disk being cleared): a runner must not lose track of its task over a passing
    /// error. Gives up on a conflict, or once the engine is stopping.
    pub async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let mut wait = Duration::from_millis(100);
        loop {
            match self.store.writer.write(ops.clone()).await {
                Ok(()) => return Ok(()),
                Err(e @ (StoreError::Conflict(_) | StoreError::WriterGone)) => return Err(e),
                Err(e) if self.shutdown.is_cancelled() => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = %humantime::format_duration(wait), "a step's state could not be saved; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = self.shutdown.cancelled() => {}
                    }
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

/// How a runner is told to stop. `stop` wakes every wait (it is a child of the engine's
/// shutdown token); `cancel` says the user asked, which wins over an engine stop, so a task
/// cancelled while the engine stops is closed as cancelled rather than requeued.
#[derive(Debug, Clone)]
pub struct RunTokens {
    pub cancel: CancellationToken,
    pub stop: CancellationToken,
}

impl RunTokens {
    pub fn new(shutdown: &CancellationToken) -> RunTokens {
        RunTokens {
            cancel: CancellationToken::new(),
            stop: shutdown.child_token(),
        }
    }

    /// The user cancelled the task.
    pub fn cancel(&self) {
        self.cancel.cancel();
        self.stop.cancel();
    }
}

/// How a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    Finished(TaskStatus),
    /// The engine is stopping; the task was put back in the queue.
    Interrupted,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Finished(status) => write!(f, "{status}"),
            Stopped::Interrupted => f.write_str("interrupted; it runs again at the next start"),
        }
    }
}

/// Why a step stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    Cancelled,
    Interrupted,
}

/// The runner's state for one task run.
pub(crate) struct Run<'a> {
    pub ctx: &'a RunContext,
    pub task: &'a TaskRecord,
    pub run_id: String,
    pub plan: Plan,
    pub base: context::BaseContext,
    pub rows: BTreeMap<String, StepRow>,
    /// Cancelled when the user cancels this task or the engine stops.
    pub stop: CancellationToken,
    /// Cancelled only when the user cancels this task.
    pub cancel: CancellationToken,
    /// How many of its steps wait on the user: the task is `waiting` while any does.
    pub waiting: std::sync::atomic::AtomicUsize,
    /// The worktree it runs in, when it has one of its own.
    pub placed: Option<isolation::Placed>,
}

impl Run<'_> {
    /// Where its steps run: its worktree, or the project's checkout.
    pub(crate) fn root(&self) -> &std::path::Path {
        match &self.placed {
            Some(placed) => &placed.root,
            None => &self.ctx.paths.root,
        }
    }
}

/// Runs `task` (already claimed, with its run's step rows inserted) to its end.
pub async fn run_task(
    ctx: Arc<RunContext>,
    task: TaskRecord,
    run_id: String,
    tokens: RunTokens,
) -> Stopped {
    let id = task.id.clone();
    match run_inner(&ctx, &task, run_id, tokens).await {
        Ok(stopped) => stopped,
        Err(e) => {
            // The store failed under us: say so and leave the task for the next start rather
            // than guess at its state.
            tracing::error!(task = %id, error = %e, "task runner stopped on a store error");
            Stopped::Interrupted
        }
    }
}

async fn run_inner(
    ctx: &RunContext,
    task: &TaskRecord,
    run_id: String,
    tokens: RunTokens,
) -> Result<Stopped, StoreError> {
    let plan: Plan = match serde_json::from_str(&task.plan) {
        Ok(plan) => plan,
        Err(e) => {
            let error = format!("the task's stored plan cannot be read: {e}");
            finish(ctx, &task.id, TaskStatus::Failed, Some(error)).await?;
            return Ok(Stopped::Finished(TaskStatus::Failed));
        }
    };
    let rows = crate::store::read::steps_of_run(&ctx.store.reader, &run_id)
        .await?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    let placed = match &plan.worktree {
        Some(wanted) => match isolation::enter(ctx, task, wanted).await? {
            Ok(placed) => Some(placed),
            Err(reason) => {
                let error = format!("no worktree to run in: {reason}");
                finish(ctx, &task.id, TaskStatus::Failed, Some(error)).await?;
                return Ok(Stopped::Finished(TaskStatus::Failed));
            }
        },
        None => None,
    };
    let root = placed
        .as_ref()
        .map_or(ctx.paths.root.clone(), |p| p.root.clone());
    let mut run = Run {
        ctx,
        task,
        base: context::BaseContext::new(task, &root, placed.as_ref()),
        run_id,
        plan,
        rows,
        stop: tokens.stop,
        cancel: tokens.cancel,
        waiting: Default::default(),
        placed,
    };
    let outcome = run.run_steps().await?;
    match outcome {
        Ok(failed) => {
            let (status, error) = match &failed {
                None => (TaskStatus::Succeeded, None),
                Some(step) => (TaskStatus::Failed, Some(run.failure_of(step))),
            };
            run.close_remaining(StepStatus::Skipped).await?;
            let setup_failed = failed
                .filter(|step| crate::definitions::workflow::is_setup_step(&run.plan, step))
                .and(error.clone());
            finish(ctx, &task.id, status, error).await?;
            run.leave_worktree(status, setup_failed).await?;
            Ok(Stopped::Finished(status))
        }
        Err(Halt::Cancelled) => {
            run.close_remaining(StepStatus::Cancelled).await?;
            finish(
                ctx,
                &task.id,
                TaskStatus::Cancelled,
                Some("cancelled".into()),
            )
            .await?;
            run.leave_worktree(TaskStatus::Cancelled, None).await?;
            Ok(Stopped::Finished(TaskStatus::Cancelled))
        }
        Err(Halt::Interrupted) => {
            ctx.write(vec![WriteOp::RequeueTask {
                id: task.id.clone(),
            }])
            .await?;
            Ok(Stopped::Interrupted)
        }
    }
}

impl Run<'_> {
    /// Why the task failed, in one line: the step, its error and the last line it printed
    /// (`step `test` failed: exited with code 1 — FAIL: state.txt says broken`).
    fn failure_of(&self, step: &str) -> String {
        match self.rows.get(step) {
            Some(row) => match row.error.as_deref() {
                Some(error) => format!(
                    "step `{step}` failed: {}",
                    checks::failure_cause(error, row)
                ),
                None => format!("step `{step}` failed"),
            },
            None => format!("step `{step}` failed"),
        }
    }
}

/// Commits a task's final status and announces it.
pub(crate) async fn finish(
    ctx: &RunContext,
    id: &TaskId,
    status: TaskStatus,
    error: Option<String>,
) -> Result<(), StoreError> {
    let now = crate::time::now_rfc3339();
    ctx.write(vec![
        // Questions of a task that ended need no answer any more.
        WriteOp::Escalation(crate::store::escalations::EscalationOp::Withdraw {
            task_id: id.clone(),
            step_id: None,
            at: now.clone(),
        }),
        WriteOp::SetTaskStatus {
            id: id.clone(),
            status,
            error,
            finished_at: Some(now),
        },
        WriteOp::Event(EngineEvent::TaskFinished {
            task_id: id.clone(),
            status,
        }),
    ])
    .await
}
