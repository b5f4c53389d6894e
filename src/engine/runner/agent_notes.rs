//! What an agent step records as its agent works: each event it says — text, tool calls,
//! results and API retries — as a log line for the Logs pane and the step's live view
//! (`agent.tool`, `agent.retries`, the session id and model).

use super::Run;
use super::agent_io::{one_line, retry_note, tool_summary};
use crate::agents::AgentEvent;
use crate::store::{StepRow, WriteOp};

impl Run<'_> {
    /// A line in the Logs pane about this step. Best effort, like the transcript.
    pub(super) async fn note(&self, row: &StepRow, level: &'static str, message: &str) {
        let _ = self
            .ctx
            .write(vec![WriteOp::Log {
                level,
                task_id: Some(self.task.id.clone()),
                step_id: Some(row.id.clone()),
                message: message.to_string(),
            }])
            .await;
    }

    /// Records what the agent did: the transcript, and the step's live view of it.
    pub(super) async fn note_event(&self, row: &mut StepRow, event: AgentEvent) {
        let mut save = false;
        // A session id the agent names itself (Codex's thread) is what a restart resumes:
        // committed before the agent goes on, not queued like the rest.
        let mut durable = false;
        let message = match &event {
            AgentEvent::SessionStarted { session_id, model } => {
                if let Some(view) = row.agent.as_mut() {
                    if !session_id.is_empty() && view.session_id.as_ref() != Some(session_id) {
                        view.session_id = Some(session_id.clone());
                        save = true;
                        durable = true;
                    }
                    if model.is_some() && view.model != *model {
                        view.model = model.clone();
                        save = true;
                    }
                }
                None
            }
            AgentEvent::Text(text) if !text.trim().is_empty() => {
                Some(("info", format!("agent: {}", one_line(text))))
            }
            AgentEvent::ToolRequested { tool, input, .. } => {
                if let Some(view) = row.agent.as_mut() {
                    view.tool_calls += 1;
                    view.tool = Some(tool_summary(tool, input));
                    save = true;
                }
                Some(("info", format!("agent → {}", tool_summary(tool, input))))
            }
            AgentEvent::ToolFinished { ok, output, .. } => {
                if let Some(view) = row.agent.as_mut() {
                    view.tool = None;
                    save = true;
                }
                let mark = if *ok { "ok" } else { "failed" };
                Some(("info", format!("agent ← {mark}: {}", one_line(output))))
            }
            AgentEvent::Retrying {
                attempt,
                max,
                delay_ms,
                status,
            } => {
                if let Some(view) = row.agent.as_mut() {
                    view.retries += 1;
                    save = true;
                }
                Some((
                    "warn",
                    format!("agent {}", retry_note(*attempt, *max, *delay_ms, *status)),
                ))
            }
            _ => None,
        };
        let mut ops = Vec::new();
        if save {
            ops.push(WriteOp::UpsertStep(row.clone()));
        }
        if let Some((level, message)) = message {
            ops.push(WriteOp::Log {
                level,
                task_id: Some(self.task.id.clone()),
                step_id: Some(row.id.clone()),
                message,
            });
        }
        if !ops.is_empty() {
            // Best effort, and queued rather than awaited: the agent is not stopped because
            // its transcript could not be saved, and the permission request that usually
            // follows is not held up by a flush of its own (it shares the decision's commit).
            if durable {
                let _ = self.ctx.write(ops).await;
            } else {
                let _ = self.ctx.store.writer.enqueue(ops).await;
            }
        }
    }
}
