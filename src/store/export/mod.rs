//! Everything known about one task, as one document (`bosun export`, format
//! [`FORMAT`]): for a bug report or a review, read by people and by programs.
//!
//! [`gather`] reads it from the store's read pool and the files beside the database: the
//! audit log's records of the task and its agents' transcripts. It only reads, so it works
//! with or without an engine running; what an engine commits while it reads may or may not be
//! in the document, as with any other read.
//!
//! What is in it: the task row; the workflow as it was frozen at submission (the plan: the
//! parsed definition and every skill it uses — the store does not keep the YAML text); the
//! inputs; every run with its steps; decisions, escalations, events, log lines and audit
//! records about the task; agent transcripts (one JSON value per line, a line that is not
//! JSON kept as a string); what its agents spent; its worktree and merges. Times are RFC 3339
//! UTC, as stored. The document holds output and transcripts, which often hold secrets: the
//! CLI writes it with mode 0600.
//!
//! Fields may be added within a format version, never renamed or removed.

mod gather;
#[cfg(test)]
mod tests;
mod transcripts;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::protocol::{DecisionKind, DecisionView, Priority, Risk, StepView, TaskId, TaskStatus};

pub use gather::gather;

/// The name and version of the document's shape.
pub const FORMAT: &str = "bosun-task-export/1";

/// One task, everything about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskExport {
    /// [`FORMAT`].
    pub format: String,
    /// The version of the `bosun` that wrote it.
    pub bosun_version: String,
    pub exported_at: String,
    /// The project's directory, absolute.
    pub project_root: String,
    pub task: ExportedTask,
    pub workflow: ExportedWorkflow,
    /// The inputs it was given, defaults filled in (a JSON object as stored).
    pub inputs: Value,
    /// Every run, the first first.
    pub runs: Vec<ExportedRun>,
    /// The ledger's decisions about the task, oldest first.
    pub decisions: Vec<DecisionView>,
    /// The questions it asked, answered or not, in the order asked.
    pub escalations: Vec<ExportedEscalation>,
    /// The `events` table's rows about the task.
    pub events: Vec<ExportedEvent>,
    /// The `logs` table's lines about the task.
    pub logs: Vec<ExportedLog>,
    /// The records of `.bosun/audit.jsonl` whose `task_id` is this task, whole (with `seq`,
    /// `prev` and `hash`).
    pub audit: Vec<Map<String, Value>>,
    /// Its agent steps' transcripts.
    pub transcripts: Vec<Transcript>,
    pub cost: ExportedCost,
    /// Its worktree, branch and merges, when it ran in a worktree of its own.
    pub worktree: Option<ExportedWorktree>,
}

/// The task's own row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedTask {
    pub id: TaskId,
    pub description: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Why it failed or was cancelled.
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub dismissed_at: Option<String>,
}

/// The workflow as the task ran it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedWorkflow {
    pub name: String,
    /// Why it was chosen (named, matched by the description, or the default).
    pub reason: String,
    /// The plan frozen at submission: `workflow` (the parsed definition), `skills` (every
    /// skill it uses) and `worktree` (when it runs in one). Stored text that is not JSON is
    /// kept as a string.
    pub plan: Value,
}

/// One run of the task with its steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedRun {
    pub id: String,
    pub number: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The run `bosun show` shows (the latest).
    pub current: bool,
    /// In workflow order, each with its status, exit code, timings, stdout and stderr tails
    /// and agent fields.
    pub steps: Vec<StepView>,
}

/// A question the task asked, with its answer when it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedEscalation {
    pub id: String,
    pub step_id: Option<String>,
    pub kind: DecisionKind,
    pub question: String,
    pub options: Vec<String>,
    pub default: String,
    pub risk: Risk,
    pub reason: String,
    pub skill: Option<String>,
    pub workflow: Option<String>,
    /// What was asked about in full (an agent's tool call and its input).
    pub detail: Option<String>,
    /// The rule `--remember rule` would have written.
    pub proposal: Option<Value>,
    pub batch: i64,
    pub created_at: String,
    pub deadline: String,
    pub answered_at: Option<String>,
    pub choice: Option<String>,
    /// `user`, `timeout` or `withdrawn` once closed.
    pub decided_by: Option<String>,
    /// When the step that asked acted on the answer.
    pub consumed_at: Option<String>,
}

/// A row of the `events` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedEvent {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    /// The event as stored (JSON; a string if it is not).
    pub payload: Value,
}

/// A row of the `logs` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedLog {
    pub seq: i64,
    pub at: String,
    pub level: String,
    pub step_id: Option<String>,
    pub message: String,
}

/// An agent step's transcript: every line its agent printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub step_id: String,
    /// Where it is kept (`.bosun/logs/agents/`).
    pub file: String,
    /// One value per line; a line that is not JSON is kept as a string.
    pub lines: Vec<Value>,
}

/// What the task's agent steps spent, over every run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExportedCost {
    pub agent_steps: u64,
    pub cost_usd: f64,
    /// The most the user allowed the task's agents to spend past the budget, if they did.
    pub allowed_usd: Option<f64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub turns: u64,
    pub tool_calls: u64,
    pub denied: u64,
}

/// The task's worktree record: where it was, its branch, and what became of it, with every
/// merge asked for it, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedWorktree {
    #[serde(flatten)]
    pub record: crate::store::worktrees::WorktreeRecord,
    pub merges: Vec<crate::store::worktrees::MergeRecord>,
}
