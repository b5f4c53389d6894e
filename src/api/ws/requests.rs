//! What a client may send: `{"event": "task.submit" | "task.cancel" | "state.query" |
//! "escalation.response", "payload": …}`. Each is answered with `<event>.ok` (or
//! `state.updated`) or with `error` and the status the same request would have had over REST;
//! the work is the REST handlers' own, audited the same way. A message that is not JSON or
//! names no known event is an error reply too: nothing a client sends ends its connection.

use axum::http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::super::ApiState;
use super::super::auth::Caller;
use super::super::error::ApiError;
use super::super::inbox::{AnswerBody, answer_escalation};
use super::super::session::session_state;
use super::super::tasks::{SubmitBody, cancel_task, submit_task};
use super::super::token::Role;
use super::message::{self, Out};

/// `task.cancel`'s payload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelPayload {
    task_id: String,
}

/// `escalation.response`'s payload: `POST /api/escalations/{id}/answer`'s body with the id.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponsePayload {
    escalation_id: String,
    choice: String,
    #[serde(default)]
    remember: Option<String>,
    #[serde(default)]
    all: bool,
}

/// The reply to one text message from `caller`.
pub(super) async fn reply(state: &ApiState, caller: &Caller, text: &str) -> Out {
    match handle(state, caller, text).await {
        Ok(out) => out,
        Err(e) => message::error(&e),
    }
}

async fn handle(state: &ApiState, caller: &Caller, text: &str) -> Result<Out, ApiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("the message is not JSON: {e}")))?;
    let Value::Object(mut request) = value else {
        return Err(ApiError::bad_request(
            "a message is a JSON object: {\"event\": \"…\", \"payload\": …}",
        ));
    };
    let Some(Value::String(event)) = request.remove("event") else {
        return Err(ApiError::bad_request(
            "the message has no `event`: send task.submit, task.cancel, state.query or \
             escalation.response",
        ));
    };
    let payload = request.remove("payload").unwrap_or(Value::Null);
    // The same bucket as the client's REST requests: a socket is no way around the limit.
    if state.limiter.take(&caller.token_id).is_err() {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "more than {} requests a second from this client; wait and try again",
                state.settings.rate_limit
            ),
        ));
    }
    match event.as_str() {
        "state.query" => Ok(message::reply("state.updated", session_state(state).await?)),
        "task.submit" => {
            may_change(caller)?;
            let body: SubmitBody = parse(payload)?;
            let submitted = submit_task(state, caller, body).await?;
            Ok(message::reply("task.submit.ok", submitted))
        }
        "task.cancel" => {
            may_change(caller)?;
            let body: CancelPayload = parse(payload)?;
            let cancelled = cancel_task(state, caller, &body.task_id).await?;
            Ok(message::reply("task.cancel.ok", cancelled))
        }
        "escalation.response" => {
            may_change(caller)?;
            let body: ResponsePayload = parse(payload)?;
            let answer = AnswerBody {
                choice: body.choice,
                remember: body.remember,
                all: body.all,
            };
            let answered = answer_escalation(state, caller, &body.escalation_id, answer).await?;
            Ok(message::reply("escalation.response.ok", answered))
        }
        other => Err(ApiError::bad_request(format!(
            "unknown event `{other}`: send task.submit, task.cancel, state.query or \
             escalation.response"
        ))),
    }
}

/// Submit, cancel and answer need a `user` token, as over REST.
fn may_change(caller: &Caller) -> Result<(), ApiError> {
    if caller.role < Role::User {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "a {} token may not do this; it needs a {} token",
                caller.role,
                Role::User
            ),
        ));
    }
    Ok(())
}

/// The payload as `T`: 422 naming the field that does not fit.
fn parse<T: DeserializeOwned>(payload: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(payload).map_err(|e| {
        let path = e.path().to_string();
        match path.as_str() {
            "." | "" => ApiError::invalid(format!("the payload does not fit: {}", e.inner())),
            _ => ApiError::invalid(format!(
                "the payload does not fit at `{path}`: {}",
                e.inner()
            )),
        }
    })
}
