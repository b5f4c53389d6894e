//! Events in words, for the Logs pane and `bosun tail`.

use super::{EngineEvent, LogLevel, StepStatus, TaskStatus};

impl EngineEvent {
    /// How bad the event is, and one line saying what happened (the task's id not included).
    pub fn describe(&self) -> (LogLevel, String) {
        use EngineEvent as E;
        let info = LogLevel::Info;
        match self {
            E::TaskSubmitted { workflow, .. } => {
                (info, format!("submitted to workflow {workflow}"))
            }
            E::TaskStarted { .. } => (info, "started".into()),
            E::StepStarted {
                step_id, attempt, ..
            } => (info, format!("step {step_id} started (attempt {attempt})")),
            E::StepFinished {
                step_id,
                status,
                exit_code,
                ..
            } => {
                let level = if *status == StepStatus::Failed {
                    LogLevel::Warn
                } else {
                    info
                };
                let code = exit_code.map(|c| format!(", exit {c}")).unwrap_or_default();
                (level, format!("step {step_id} {status}{code}"))
            }
            E::StepInterrupted { step_id, .. } => (
                LogLevel::Warn,
                format!("step {step_id} interrupted; it runs again"),
            ),
            E::DecisionMade {
                step_id,
                choice,
                decided_by,
                ..
            } => (
                info,
                format!(
                    "decision{}: {choice} (by {decided_by})",
                    step_id
                        .as_deref()
                        .map(|s| format!(" for {s}"))
                        .unwrap_or_default()
                ),
            ),
            E::EscalationOpened {
                escalation_id,
                batch,
                ..
            } => (
                LogLevel::Warn,
                format!("question {escalation_id} waits in the inbox (batch {batch})"),
            ),
            E::EscalationClosed {
                escalation_id,
                choice,
                decided_by,
                ..
            } => (
                info,
                format!(
                    "question {escalation_id} closed: {} (by {decided_by})",
                    choice.as_deref().unwrap_or("withdrawn")
                ),
            ),
            E::TaskFinished { status, .. } => {
                let level = match status {
                    TaskStatus::Failed => LogLevel::Error,
                    TaskStatus::Cancelled => LogLevel::Warn,
                    _ => info,
                };
                (level, format!("finished: {status}"))
            }
            E::CancelRequested { .. } => (LogLevel::Warn, "cancel requested".into()),
            E::TaskDismissed { .. } => (LogLevel::Info, "dismissed from needs attention".into()),
            E::WorktreeChanged { state, note, .. } => {
                let level = match state {
                    crate::protocol::WorktreeState::Conflicted => LogLevel::Warn,
                    _ => info,
                };
                let text = match note {
                    Some(note) => format!("worktree {state}: {note}"),
                    None => format!("worktree {state}"),
                };
                (level, text)
            }
        }
    }
}
