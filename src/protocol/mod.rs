//! The vocabulary shared by the engine and every front end: ids, statuses, commands in,
//! events out, read-only views, and the worktree a task may run in. Nothing here does I/O or holds logic beyond parsing names.

mod command;
mod describe;
mod event;
mod front;
mod ids;
mod status;
mod views;
mod worktree;

pub use command::{AnswerRequest, Command, RememberScope, SubmitRequest, input_text};
pub use event::{EngineEvent, EventEnvelope};
pub use front::{
    ATTENTION_WINDOW_SECS, Changes, Health, InputInfo, LogLevel, LogLine, Snapshot, StepOutput,
    StoreHealth, TaskCursor, TaskPage, TaskSummary, TranscriptEntry, TranscriptKind, WorkflowInfo,
};
pub use ids::{EscalationId, RunId, TaskId, new_decision_id};
pub use status::{ParseError, Priority, Risk, StepStatus, TaskStatus};
pub use views::{
    AgentStatsView, AgentTotals, AgentView, BudgetGrant, DecisionCounts, DecisionKind,
    DecisionView, EscalationView, StatsView, StepView, TaskJson, TaskView,
};
pub use worktree::{Collision, Isolation, MergeStrategy, WorktreeState, WorktreeView};
