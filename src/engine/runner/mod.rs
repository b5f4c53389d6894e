//! Running one task's workflow to its end, durably.
//!
//! Invariants: a step's state is committed before anything depends on it; a step found
//! finished in the store is never run again (that is what makes a restart after `kill -9`
//! safe); only the steps cut off are run again. The runner ends in one of three ways: the task
//! finished (succeeded/failed), it was cancelled, or the engine is stopping and the task goes
//! back to the queue.

mod context;
mod skill_step;
mod steps;

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::config::{ProjectPaths, Settings};
use crate::engine::template::Templates;
use crate::engine::workflow::Plan;
use crate::protocol::{EngineEvent, StepStatus, TaskId, TaskStatus};
use crate::store::{StepRow, Store, StoreError, TaskRecord, WriteOp};

pub(crate) use steps::initial_rows;

/// What every runner shares: read-only settings, the store, and the engine-wide limit on
/// running skill processes.
#[derive(Debug)]
pub struct RunContext {
    pub store: Store,
    pub settings: Settings,
    pub paths: ProjectPaths,
    pub templates: Templates,
    pub skill_slots: Arc<Semaphore>,
}

/// How a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    Finished(TaskStatus),
    /// The engine is stopping; the task was put back in the queue.
    Interrupted,
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
    pub shutdown: CancellationToken,
}

/// Runs `task` (already claimed, with its run's step rows inserted) to its end.
pub async fn run_task(
    ctx: Arc<RunContext>,
    task: TaskRecord,
    run_id: String,
    stop: CancellationToken,
    shutdown: CancellationToken,
) -> Stopped {
    let id = task.id.clone();
    match run_inner(&ctx, &task, run_id, stop, shutdown).await {
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
    stop: CancellationToken,
    shutdown: CancellationToken,
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
    let mut run = Run {
        ctx,
        task,
        base: context::BaseContext::new(task, &ctx.paths.root),
        run_id,
        plan,
        rows,
        stop,
        shutdown,
    };
    let outcome = run.run_steps().await?;
    match outcome {
        Ok(failed) => {
            let (status, error) = match failed {
                None => (TaskStatus::Succeeded, None),
                Some(step) => (TaskStatus::Failed, Some(format!("step `{step}` failed"))),
            };
            run.close_remaining(StepStatus::Skipped).await?;
            finish(ctx, &task.id, status, error).await?;
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
            Ok(Stopped::Finished(TaskStatus::Cancelled))
        }
        Err(Halt::Interrupted) => {
            ctx.store
                .writer
                .write(vec![WriteOp::RequeueTask {
                    id: task.id.clone(),
                }])
                .await?;
            Ok(Stopped::Interrupted)
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
    ctx.store
        .writer
        .write(vec![
            WriteOp::SetTaskStatus {
                id: id.clone(),
                status,
                error,
                finished_at: Some(crate::time::now_rfc3339()),
            },
            WriteOp::Event(EngineEvent::TaskFinished {
                task_id: id.clone(),
                status,
            }),
        ])
        .await
}
