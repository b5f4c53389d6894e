//! Imperative requests into the engine. A request that needs an answer carries a `oneshot`.

use std::collections::BTreeMap;

use tokio::sync::oneshot;

use super::{Priority, TaskId};

/// What a front end asks to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitRequest {
    pub description: String,
    /// `None` lets Bosun choose from the description.
    pub workflow: Option<String>,
    pub inputs: BTreeMap<String, String>,
    pub priority: Priority,
}

/// A command to the engine.
#[derive(Debug)]
pub enum Command {
    /// Validate and queue a task; replies with its id or why it was refused.
    SubmitTask {
        request: SubmitRequest,
        reply: oneshot::Sender<Result<TaskId, String>>,
    },
    /// Cancel a queued or running task; its processes end. Replies whether anything changed.
    CancelTask {
        id: TaskId,
        reply: oneshot::Sender<Result<bool, String>>,
    },
}
