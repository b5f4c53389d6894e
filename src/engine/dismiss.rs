//! Dismissing a failed task: the user has seen it, so it leaves "needs attention" (it stays in
//! the history, failed). A store write and an event, the same from the CLI, an interface with
//! its own engine, or an attached one — no engine needs to act on it.

use crate::protocol::{EngineEvent, TaskId};
use crate::store::{Store, StoreError, WriteOp};

/// Marks the failed task `id` dismissed; a conflict when it is not failed or already was.
pub async fn dismiss(store: &Store, id: &TaskId) -> Result<(), StoreError> {
    store
        .writer
        .write(vec![
            WriteOp::DismissTask {
                id: id.clone(),
                at: crate::time::now_rfc3339(),
            },
            WriteOp::Event(EngineEvent::TaskDismissed {
                task_id: id.clone(),
            }),
        ])
        .await
}
