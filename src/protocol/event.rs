//! Past-tense facts the engine announces, each after it was committed to SQLite.

use serde::{Deserialize, Serialize};

use super::{EscalationId, StepStatus, TaskId, TaskStatus};

/// An event with its place in the project's event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Monotonic per project (the `events` table's key): a gap means something was missed.
    pub seq: i64,
    pub at: String,
    pub event: EngineEvent,
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    TaskSubmitted {
        task_id: TaskId,
        workflow: String,
    },
    TaskStarted {
        task_id: TaskId,
    },
    StepStarted {
        task_id: TaskId,
        step_id: String,
        attempt: i64,
    },
    StepFinished {
        task_id: TaskId,
        step_id: String,
        status: StepStatus,
        exit_code: Option<i64>,
    },
    /// A step was cut off by an engine stop or crash and will run again.
    StepInterrupted {
        task_id: TaskId,
        step_id: String,
    },
    DecisionMade {
        task_id: TaskId,
        step_id: Option<String>,
        choice: String,
        decided_by: String,
    },
    /// A question went to the inbox. `notify` is false past `escalation.max_per_hour`: the
    /// question waits all the same, but front ends do not interrupt the user for it.
    EscalationOpened {
        task_id: TaskId,
        step_id: Option<String>,
        escalation_id: EscalationId,
        batch: i64,
        notify: bool,
    },
    /// A question left the inbox: answered, timed out, or withdrawn (its task ended).
    EscalationClosed {
        task_id: TaskId,
        escalation_id: EscalationId,
        choice: Option<String>,
        decided_by: String,
    },
    TaskFinished {
        task_id: TaskId,
        status: TaskStatus,
    },
    CancelRequested {
        task_id: TaskId,
    },
    /// The user dismissed a failed task: it no longer asks for attention.
    TaskDismissed {
        task_id: TaskId,
    },
    /// A task's worktree changed state (made, ready for review, merging, conflicted, merged,
    /// discarded, removed), with what happened in words.
    WorktreeChanged {
        task_id: TaskId,
        state: super::WorktreeState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

impl EngineEvent {
    /// The task the event is about.
    pub fn task_id(&self) -> &TaskId {
        match self {
            Self::TaskSubmitted { task_id, .. }
            | Self::TaskStarted { task_id }
            | Self::StepStarted { task_id, .. }
            | Self::StepFinished { task_id, .. }
            | Self::StepInterrupted { task_id, .. }
            | Self::DecisionMade { task_id, .. }
            | Self::EscalationOpened { task_id, .. }
            | Self::EscalationClosed { task_id, .. }
            | Self::TaskFinished { task_id, .. }
            | Self::CancelRequested { task_id }
            | Self::TaskDismissed { task_id }
            | Self::WorktreeChanged { task_id, .. } => task_id,
        }
    }

    /// The `type` tag, also stored in the `events.kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TaskSubmitted { .. } => "task_submitted",
            Self::TaskStarted { .. } => "task_started",
            Self::StepStarted { .. } => "step_started",
            Self::StepFinished { .. } => "step_finished",
            Self::StepInterrupted { .. } => "step_interrupted",
            Self::DecisionMade { .. } => "decision_made",
            Self::EscalationOpened { .. } => "escalation_opened",
            Self::EscalationClosed { .. } => "escalation_closed",
            Self::TaskFinished { .. } => "task_finished",
            Self::CancelRequested { .. } => "cancel_requested",
            Self::TaskDismissed { .. } => "task_dismissed",
            Self::WorktreeChanged { .. } => "worktree_changed",
        }
    }
}
