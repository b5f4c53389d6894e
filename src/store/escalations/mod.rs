//! The inbox's durable side: questions waiting for the user, their answers, answers to
//! remember, and the engine session they are remembered for.
//!
//! Invariants: an escalation is open while `answered_at` is NULL; it is closed exactly once —
//! answered by the user, expired at its deadline, or withdrawn when its task or step ended —
//! by a conditional update, so a CLI answer racing the deadline has one winner. Answering and
//! expiring record the decision in the same transaction. `consumed_at` is set when the runner
//! acted on the outcome; until then a restarted engine finds the answer and uses it.

mod ops;
pub mod read;

use crate::protocol::{DecisionKind, EscalationId, Risk, TaskId};

pub use ops::EscalationOp;

/// A question about to enter the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEscalation {
    pub id: EscalationId,
    pub task_id: TaskId,
    pub step_id: Option<String>,
    pub kind: DecisionKind,
    pub question: String,
    pub options: Vec<String>,
    pub default: String,
    pub risk: Risk,
    pub reason: String,
    pub skill: Option<String>,
    pub workflow: Option<String>,
    pub shape: String,
    /// The rule `--remember rule` would write (JSON).
    pub proposal: Option<String>,
    /// What is asked about in full (an agent's tool call and its input).
    pub detail: Option<String>,
    pub batch: i64,
    pub notified: bool,
    pub created_at: String,
    pub deadline: String,
}

/// An escalation as stored, open or closed.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationRecord {
    pub question: NewEscalation,
    pub answered_at: Option<String>,
    pub choice: Option<String>,
    /// `user`, `timeout` or `withdrawn` once closed.
    pub decided_by: Option<String>,
    pub consumed_at: Option<String>,
}

impl EscalationRecord {
    pub fn is_open(&self) -> bool {
        self.answered_at.is_none()
    }
}

/// How far a remembered answer reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Task,
    Session,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Task => "task",
            Scope::Session => "session",
        }
    }
}

/// The `meta` key holding the running engine's session id.
pub const SESSION_KEY: &str = "session";
