//! What the WebSocket says: every message the server sends is `{"event", "timestamp", "seq",
//! "payload"}` JSON text (DESIGN.md §10). Committed events carry the `seq` of the store's event
//! log and the time they were committed; replies, `state.updated` and errors carry no `seq`
//! (they are not in the log) and the time they were made.

use axum::extract::ws::{Message, Utf8Bytes};
use serde::Serialize;

use super::super::error::ApiError;
use crate::protocol::{EngineEvent, EventEnvelope, TaskStatus};

/// A message waiting to be sent, with the committed event's number when it is one.
#[derive(Debug, Clone)]
pub(super) struct Out {
    pub message: Message,
    pub seq: Option<i64>,
}

#[derive(Serialize)]
struct Envelope<'a, P: Serialize> {
    event: &'a str,
    timestamp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<i64>,
    payload: P,
}

/// The name a committed event goes by on the WebSocket. Every variant is named here (no `_`
/// arm), so a new kind of event cannot go out under a name nobody chose.
pub(super) fn event_name(event: &EngineEvent) -> &'static str {
    match event {
        EngineEvent::TaskSubmitted { .. } => "task.submitted",
        EngineEvent::TaskStarted { .. } => "task.started",
        EngineEvent::TaskFinished { status, .. } => match status {
            TaskStatus::Succeeded => "task.completed",
            TaskStatus::Failed => "task.failed",
            TaskStatus::Cancelled => "task.cancelled",
            TaskStatus::Queued | TaskStatus::Running | TaskStatus::Waiting => "task.progress",
        },
        EngineEvent::EscalationOpened { .. } => "escalation.required",
        EngineEvent::EscalationClosed { .. } => "escalation.resolved",
        EngineEvent::StepStarted { .. }
        | EngineEvent::StepFinished { .. }
        | EngineEvent::StepInterrupted { .. }
        | EngineEvent::DecisionMade { .. }
        | EngineEvent::CancelRequested { .. }
        | EngineEvent::TaskDismissed { .. }
        | EngineEvent::WorktreeChanged { .. } => "task.progress",
    }
}

/// True for the events after which a client is sent `state.updated`: a task finished, a
/// question opened or closed.
pub(super) fn changes_state(event: &EngineEvent) -> bool {
    matches!(
        event,
        EngineEvent::TaskFinished { .. }
            | EngineEvent::EscalationOpened { .. }
            | EngineEvent::EscalationClosed { .. }
    )
}

/// A committed event; its payload is the engine event's own JSON (`type`, `task_id`, …).
pub(super) fn committed(envelope: &EventEnvelope) -> Out {
    let text = encode(&Envelope {
        event: event_name(&envelope.event),
        timestamp: &envelope.at,
        seq: Some(envelope.seq),
        payload: &envelope.event,
    });
    Out {
        message: Message::Text(text),
        seq: Some(envelope.seq),
    }
}

/// A message that is not a committed event: a reply, `state.updated`.
pub(super) fn reply(event: &str, payload: impl Serialize) -> Out {
    let text = encode(&Envelope {
        event,
        timestamp: &crate::time::now_rfc3339(),
        seq: None,
        payload,
    });
    Out {
        message: Message::Text(text),
        seq: None,
    }
}

/// The payload of an `error` reply.
#[derive(Debug, Serialize)]
struct ErrorPayload<'a> {
    error: &'a str,
    /// The HTTP status the same request would have had over REST.
    status: u16,
}

/// `{"event": "error", "payload": {"error", "status"}}`.
pub(super) fn error(error: &ApiError) -> Out {
    reply(
        "error",
        ErrorPayload {
            error: &error.message,
            status: error.status.as_u16(),
        },
    )
}

/// JSON text; what the server sends always serializes (plain structs, string keys), so a
/// failure is said in an error message rather than unwrapped.
fn encode(value: &impl Serialize) -> Utf8Bytes {
    match serde_json::to_string(value) {
        Ok(text) => Utf8Bytes::from(text),
        Err(e) => {
            tracing::error!(error = %e, "a WebSocket message did not serialize");
            Utf8Bytes::from(
                serde_json::json!({
                    "event": "error",
                    "timestamp": crate::time::now_rfc3339(),
                    "payload": {"error": format!("Bosun could not write this message: {e}"), "status": 500},
                })
                .to_string(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::TaskId;

    fn text(out: &Out) -> serde_json::Value {
        match &out.message {
            Message::Text(t) => serde_json::from_str(t.as_str()).expect("JSON"),
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn a_committed_event_keeps_its_own_json_as_payload_with_its_seq_and_time() {
        let envelope = EventEnvelope {
            seq: 42,
            at: "2026-12-03T12:00:00.123Z".into(),
            event: EngineEvent::TaskFinished {
                task_id: TaskId::from("t-1"),
                status: TaskStatus::Failed,
            },
        };
        let out = committed(&envelope);
        assert_eq!(out.seq, Some(42));
        let json = text(&out);
        assert_eq!(json["event"], "task.failed");
        assert_eq!(json["seq"], 42);
        assert_eq!(json["timestamp"], "2026-12-03T12:00:00.123Z");
        assert_eq!(json["payload"]["type"], "task_finished");
        assert_eq!(json["payload"]["task_id"], "t-1");
    }

    #[test]
    fn replies_and_errors_have_no_seq() {
        let json = text(&error(&ApiError::conflict("already done")));
        assert_eq!(json["event"], "error");
        assert!(json.get("seq").is_none(), "{json}");
        assert_eq!(json["payload"]["status"], 409);
        assert_eq!(json["payload"]["error"], "already done");
        assert!(json["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn events_map_to_the_contracts_names() {
        let id = || TaskId::from("t-1");
        let finished = |status| EngineEvent::TaskFinished {
            task_id: id(),
            status,
        };
        assert_eq!(
            event_name(&finished(TaskStatus::Succeeded)),
            "task.completed"
        );
        assert_eq!(
            event_name(&finished(TaskStatus::Cancelled)),
            "task.cancelled"
        );
        assert_eq!(
            event_name(&EngineEvent::TaskDismissed { task_id: id() }),
            "task.progress"
        );
        assert!(changes_state(&finished(TaskStatus::Succeeded)));
        assert!(!changes_state(&EngineEvent::TaskStarted { task_id: id() }));
    }
}
