//! Views made for front ends that stay open (the TUI): compact task rows, what the new-task
//! form needs to know about workflows, log lines, and the health of the stores.

use serde::{Deserialize, Serialize};

use super::{EscalationView, EventEnvelope, Priority, StatsView, TaskId, TaskStatus};

/// One row of the task list: enough to draw the queue without loading steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskSummary {
    pub id: TaskId,
    /// Submission order (the `tasks` table's key): ties in the queue go to the older task.
    pub seq: i64,
    pub description: String,
    pub workflow: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Steps of the current run that have ended, and all of them (parallel blocks not counted).
    pub steps_done: u32,
    pub steps_total: u32,
    pub error: Option<String>,
    /// A failure that no longer asks for attention: dismissed, decided by the user, or followed
    /// by a success of the same workflow and trigger. Read for the last day's failures, the
    /// only ones that can ask for attention.
    #[serde(default)]
    pub settled: bool,
    /// Where its worktree is, for a task that has one of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree: Option<super::WorktreeState>,
}

/// A workflow as the new-task form offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowInfo {
    pub name: String,
    pub description: String,
    /// `bundled` or the project file's path.
    pub source: String,
    pub inputs: Vec<InputInfo>,
}

/// One declared input of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputInfo {
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
    pub default: Option<String>,
}

/// How loud a log line is. `Output` is a step's own output, shown with the engine's lines.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    Output,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Output => "out",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// A step's output as stored, for the Logs pane: running steps', and those that finished a
/// moment ago, whose last lines would otherwise never be seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutput {
    pub task_id: TaskId,
    pub step: String,
    pub attempt: i64,
    pub output: String,
    /// Its stderr so far, shown apart from stdout.
    #[serde(default)]
    pub stderr: String,
    /// Still running: its last line may not be complete yet.
    pub running: bool,
}

/// One line for the Logs pane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LogLine {
    pub at: String,
    pub level: LogLevel,
    /// The task it is about, when it is about one.
    pub task_id: Option<TaskId>,
    /// `engine`, an event kind, or the step whose output it is.
    pub source: String,
    pub text: String,
}

/// Whether a store answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "state", content = "detail", rename_all = "lowercase")]
pub enum StoreHealth {
    Ok,
    /// Not configured (Redis `off`).
    Off,
    Down(String),
    /// Not checked yet.
    Unknown,
}

/// The health line of the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    pub sqlite: StoreHealth,
    pub redis: StoreHealth,
    /// Definition files the engine found invalid (it runs on their last good version), one
    /// `FILE:LINE:COL: message` line each.
    #[serde(default)]
    pub definitions: Vec<String>,
    /// `engine.max_concurrent_workflows` now (it can change with a config edit); `None` when
    /// the engine runs in another process.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Set when the interface is attached and no engine runs the project any more (it was
    /// killed, or stopped): what happened, for the status bar and the offer to start one.
    #[serde(default)]
    pub engine_gone: Option<String>,
    /// Set while the disk holding the database is full (why): no new task starts, running
    /// ones wait to save, and Bosun resumes by itself once space is freed.
    #[serde(default)]
    pub disk_full: Option<String>,
}

impl Default for Health {
    fn default() -> Health {
        Health {
            sqlite: StoreHealth::Unknown,
            redis: StoreHealth::Unknown,
            definitions: Vec::new(),
            limit: None,
            engine_gone: None,
            disk_full: None,
        }
    }
}

/// A failed task asks for attention for this long after it ended; then it counts as done.
pub const ATTENTION_WINDOW_SECS: i64 = 24 * 3_600;

/// Where a page of finished tasks (newest first) ended: the next page holds the tasks that
/// finished before this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCursor {
    pub finished_at: String,
    pub seq: i64,
}

/// Finished tasks, newest first, and where the next (older) page starts if there is one.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskPage {
    pub tasks: Vec<TaskSummary>,
    pub next: Option<TaskCursor>,
}

/// What a front end needs for its first frame (the "session context" Redis caches).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// What is open (queued, running, waiting), the failures that still ask for attention, and
    /// the newest finished tasks: a bounded set whatever the history's size.
    pub tasks: Vec<TaskSummary>,
    pub inbox: Vec<EscalationView>,
    pub stats: StatsView,
    /// The newest event: changes are asked for from here on.
    pub last_seq: i64,
    pub recent: Vec<EventEnvelope>,
    /// Where older finished tasks, left in the store, begin (`None`: `tasks` holds them all).
    #[serde(default)]
    pub older: Option<TaskCursor>,
    /// The newest lines the engine logged for tasks (an agent's text and tool calls, retries,
    /// questions asked), oldest first.
    #[serde(default)]
    pub logs: Vec<LogLine>,
    /// The newest of those lines: later ones are asked for from here on.
    #[serde(default)]
    pub last_log: i64,
}

/// What changed since a front end's last look.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    /// The events since, oldest first.
    pub events: Vec<EventEnvelope>,
    /// Fresh rows of the tasks those events touched.
    pub tasks: Vec<TaskSummary>,
    /// The whole inbox, when an event touched it.
    pub inbox: Option<Vec<EscalationView>>,
    pub stats: StatsView,
    pub last_seq: i64,
    /// Too many events to list: the front end should take a new snapshot.
    pub overflow: bool,
    /// The lines the engine logged for tasks since the last look, oldest first.
    pub logs: Vec<LogLine>,
    pub last_log: i64,
}

/// What an agent step's transcript entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TranscriptKind {
    /// What the agent said.
    Text,
    /// A tool call it asked for, with its input.
    Call,
    /// A tool call's result.
    Result,
    /// A tool call that failed or was refused, with why.
    Failed,
    /// A retried API call, the session's end, a line of the agent no adapter reads.
    Note,
}

/// One entry of an agent step's transcript (its text and tool calls with their results), for
/// the step's output view. `text` may hold several lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptEntry {
    pub kind: TranscriptKind,
    pub text: String,
}
