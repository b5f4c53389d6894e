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
    /// Overrides the workflow's `isolation:` when set.
    pub isolation: Option<super::Isolation>,
    /// The ref a worktree task starts from (default: `HEAD` when it starts).
    pub base: Option<String>,
}

/// A workflow input given as JSON, as the text a workflow reads: a string as it is, anything
/// else as its JSON.
pub fn input_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// How far a remembered answer reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RememberScope {
    /// Later matching questions of the same task.
    Task,
    /// Later matching questions until the engine stops.
    Session,
    /// A rule written into `.bosun/policy.yaml`, with a comment saying where it came from.
    Rule,
}

impl RememberScope {
    pub fn as_str(self) -> &'static str {
        match self {
            RememberScope::Task => "task",
            RememberScope::Session => "session",
            RememberScope::Rule => "rule",
        }
    }
}

/// An answer to an open question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRequest {
    /// The escalation's id, or a unique prefix of it.
    pub escalation: String,
    /// One of its options, or a unique prefix (case-insensitive).
    pub choice: String,
    /// Answer the open questions grouped with it too.
    pub all: bool,
    pub remember: Option<RememberScope>,
    /// Where the answer came from, for the comment of a remembered rule.
    pub via: String,
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
