//! Rows written by the engine and the CLI, as plain data.

use crate::protocol::{Priority, StepStatus, TaskId};

/// A task as it is first stored.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub id: TaskId,
    pub description: String,
    pub workflow: String,
    pub workflow_reason: String,
    /// The resolved workflow and skills, frozen (JSON).
    pub plan: String,
    pub priority: Priority,
    /// JSON object of the task's inputs.
    pub inputs: String,
    pub created_at: String,
}

/// The whole state of one step, written as an upsert.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub run_id: String,
    pub id: String,
    pub task_id: TaskId,
    pub ord: i64,
    pub parent: Option<String>,
    pub skill: String,
    pub status: StepStatus,
    pub attempts: i64,
    pub exit_code: Option<i64>,
    pub output: Option<String>,
    /// The tail of its stderr, kept apart from `output`.
    pub stderr: Option<String>,
    pub error: Option<String>,
    pub choice: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// An agent step's session and spending.
    pub agent: Option<crate::protocol::AgentView>,
}
