//! Read-only views of durable state, shaped as the JSON contract of DESIGN.md §3
//! (fields may be added, never renamed).

use serde::{Deserialize, Serialize};

use super::{Priority, StepStatus, TaskId, TaskStatus};

/// A task with its steps (the steps of its latest run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: TaskId,
    pub description: String,
    pub workflow: String,
    /// Why this workflow was chosen (named, matched by description, or the default).
    pub workflow_reason: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub inputs: serde_json::Map<String, serde_json::Value>,
    /// Why the task failed or was cancelled, when it did.
    pub error: Option<String>,
    pub steps: Vec<StepView>,
}

/// One step of a task's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub id: String,
    /// The skill it runs; `parallel` or `decide` for the other kinds of step.
    pub skill: String,
    /// The parallel block this step belongs to, if any.
    pub parent: Option<String>,
    pub status: StepStatus,
    pub attempts: i64,
    pub exit_code: Option<i64>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub choice: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionView {
    pub id: String,
    pub task_id: TaskId,
    pub step_id: Option<String>,
    pub question: String,
    pub options: Vec<String>,
    pub choice: String,
    pub decided_by: String,
    pub reason: String,
    pub at: String,
}
