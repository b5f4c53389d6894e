//! What a starting engine does first: end the step processes its predecessor left (matching PID
//! *and* start time, so a reused PID is never hit), put the steps they ran back to pending, and
//! the tasks back in the queue, where they resume — finished steps are not run again.

use std::path::Path;

use crate::engine::process::{end_group_if_ours, end_leftover_groups};
use crate::protocol::{EngineEvent, StepStatus};
use crate::store::{Store, StoreError, WriteOp, read};

/// What recovery found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub tasks_requeued: usize,
    pub steps_interrupted: usize,
    pub processes_ended: usize,
    pub tasks_cancelled: usize,
}

/// Brings the store back to a state a fresh engine can run from. Call it only while holding
/// the engine lease: no other engine may be running these tasks.
pub async fn recover(store: &Store, root: &Path) -> Result<Recovered, StoreError> {
    let mut found = Recovered::default();
    for live in read::live_steps(&store.reader, None).await? {
        if let Some(pid) = live.pid
            && end_group_if_ours(pid, live.proc_start)
        {
            found.processes_ended += 1;
        }
        let mut rows = read::steps_of_run(&store.reader, &live.run_id).await?;
        if let Some(row) = rows.iter_mut().find(|r| r.id == live.step_id) {
            row.status = StepStatus::Pending;
            store
                .writer
                .write(vec![
                    WriteOp::UpsertStep(row.clone()),
                    WriteOp::Event(EngineEvent::StepInterrupted {
                        task_id: live.task_id.clone(),
                        step_id: live.step_id.clone(),
                    }),
                ])
                .await?;
            found.steps_interrupted += 1;
        }
    }
    // Step processes whose PID never made it to the store (cut off right after starting), and
    // children outliving their recorded leader, are found by their environment.
    found.processes_ended += end_leftover_groups(root);
    for task in read::unfinished(&store.reader).await? {
        if task.cancel_requested {
            crate::engine::cancel::close_cancelled(store, &task.id).await?;
            found.tasks_cancelled += 1;
        } else {
            store
                .writer
                .write(vec![WriteOp::RequeueTask {
                    id: task.id.clone(),
                }])
                .await?;
            found.tasks_requeued += 1;
        }
    }
    if found != Recovered::default() {
        tracing::warn!(?found, "recovered from an engine that did not stop cleanly");
    }
    Ok(found)
}
