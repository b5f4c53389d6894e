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

impl std::fmt::Display for Recovered {
    /// In words, for the log: `2 tasks requeued, 1 process ended`; `nothing to recover`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::text::count;
        let parts: Vec<String> = [
            (self.tasks_requeued, "task requeued|tasks requeued"),
            (self.steps_interrupted, "step interrupted|steps interrupted"),
            (self.processes_ended, "process ended|processes ended"),
            (self.tasks_cancelled, "task cancelled|tasks cancelled"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, noun)| count(n as i64, noun))
        .collect();
        if parts.is_empty() {
            f.write_str("nothing to recover")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
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
        tracing::warn!(recovered = %found, "recovered from an engine that did not stop cleanly");
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::Recovered;

    /// The log says what recovery did in words, not as a Rust struct.
    #[test]
    fn recovery_is_told_in_words() {
        assert_eq!(Recovered::default().to_string(), "nothing to recover");
        let found = Recovered {
            tasks_requeued: 2,
            processes_ended: 1,
            ..Recovered::default()
        };
        assert_eq!(found.to_string(), "2 tasks requeued, 1 process ended");
    }
}
