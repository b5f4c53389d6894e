//! Cancelling a task from outside its runner: a queued task is cancelled at once (atomically,
//! so it cannot be claimed and cancelled both); a running one is flagged, and whichever engine
//! runs it ends its processes and closes it.

use crate::engine::process::end_group_if_ours;
use crate::protocol::{EngineEvent, StepStatus, TaskId, TaskStatus};
use crate::store::{Store, StoreError, WriteOp, read};

/// What a cancel request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The task was queued and is now cancelled.
    Cancelled,
    /// The task is running; its engine was asked to stop it.
    Requested,
    /// The task had already finished.
    AlreadyFinished(TaskStatus),
}

/// Cancels a queued task or flags a running one.
pub async fn request_cancel(store: &Store, id: &TaskId) -> Result<CancelOutcome, StoreError> {
    let now = crate::time::now_rfc3339();
    let queued = store
        .writer
        .write(vec![
            WriteOp::CancelQueued {
                id: id.clone(),
                at: now,
            },
            WriteOp::Event(EngineEvent::TaskFinished {
                task_id: id.clone(),
                status: TaskStatus::Cancelled,
            }),
        ])
        .await;
    match queued {
        Ok(()) => return Ok(CancelOutcome::Cancelled),
        Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e),
    }
    let Some(task) = read::get_task_record(&store.reader, id).await? else {
        return Err(StoreError::Conflict(format!("no task {id}")));
    };
    if task.status.is_terminal() {
        return Ok(CancelOutcome::AlreadyFinished(task.status));
    }
    store
        .writer
        .write(vec![
            WriteOp::RequestCancel { id: id.clone() },
            WriteOp::Event(EngineEvent::CancelRequested {
                task_id: id.clone(),
            }),
        ])
        .await?;
    Ok(CancelOutcome::Requested)
}

/// Closes a flagged task when no engine runs it: ends its leftover processes and marks it and
/// its open steps cancelled.
pub async fn close_cancelled(store: &Store, id: &TaskId) -> Result<(), StoreError> {
    for live in read::live_steps(&store.reader, Some(id)).await? {
        if let Some(pid) = live.pid {
            end_group_if_ours(pid, live.proc_start);
        }
    }
    let Some(task) = read::get_task_record(&store.reader, id).await? else {
        return Ok(());
    };
    let now = crate::time::now_rfc3339();
    let mut ops = Vec::new();
    if let Some(run_id) = &task.run_id {
        for mut row in read::steps_of_run(&store.reader, run_id).await? {
            if !row.status.is_finished() {
                row.status = StepStatus::Cancelled;
                row.finished_at = Some(now.clone());
                ops.push(WriteOp::UpsertStep(row));
            }
        }
    }
    ops.push(WriteOp::Escalation(
        crate::store::escalations::EscalationOp::Withdraw {
            task_id: id.clone(),
            step_id: None,
            at: now.clone(),
        },
    ));
    ops.push(WriteOp::SetTaskStatus {
        id: id.clone(),
        status: TaskStatus::Cancelled,
        error: Some("cancelled".into()),
        finished_at: Some(now),
    });
    ops.push(WriteOp::Event(EngineEvent::TaskFinished {
        task_id: id.clone(),
        status: TaskStatus::Cancelled,
    }));
    store.writer.write(ops).await
}
