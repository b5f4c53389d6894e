//! `/api/inbox`, `/api/escalations/{id}/answer` and `/api/decisions`: the open questions, an
//! answer to one, and the decision ledger, as `bosun inbox`, `answer` and `decisions` give them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::auth::Caller;
use super::error::{ApiError, JsonBody, QueryParams};
use crate::engine::answer::AnswerError;
use crate::protocol::{AnswerRequest, DecisionView, EscalationView, RememberScope, TaskId};
use crate::store::escalations::read as questions;
use crate::store::ledger;

/// `GET /api/inbox`: the open questions, the current batch first.
#[utoipa::path(
    get,
    path = "/api/inbox",
    operation_id = "list_inbox",
    tag = "inbox",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The open questions (`bosun inbox --json`)",
            body = Vec<EscalationView>),
        crate::api::openapi::Unauthorized,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
    )
)]
pub async fn list(
    State(state): State<Arc<ApiState>>,
) -> Result<Json<Vec<EscalationView>>, ApiError> {
    Ok(Json(questions::open(&state.store.reader).await?))
}

/// `POST /api/escalations/{id}/answer`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// One of the question's options (or a unique prefix of one, any case).
    pub choice: String,
    /// Decide later matching questions the same way: `task`, `session` or `rule` (a rule
    /// written into .bosun/policy.yaml). Leave out, or null, to remember nothing.
    #[serde(default)]
    pub remember: Option<String>,
    /// Answer the open questions grouped with it too.
    #[serde(default)]
    pub all: bool,
}

/// `POST /api/escalations/{id}/answer`'s answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answered {
    pub escalation_id: String,
    pub task_id: String,
    pub choice: String,
    /// Grouped questions answered along with it.
    pub also: usize,
    /// What was remembered, in words, when something was.
    pub summary: String,
}

/// `POST /api/escalations/{id}/answer`: 404 for an unknown question, 409 for one already
/// closed, 422 for a choice that is not one of its options.
#[utoipa::path(
    post,
    path = "/api/escalations/{id}/answer",
    operation_id = "answer_escalation",
    tag = "inbox",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The question's id, or a unique prefix of it")),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "Answered", body = Answered),
        crate::api::openapi::NotJson,
        crate::api::openapi::Unauthorized,
        crate::api::openapi::Forbidden,
        crate::api::openapi::NotFound,
        crate::api::openapi::Conflict,
        crate::api::openapi::TooLarge,
        crate::api::openapi::Invalid,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
    )
)]
pub async fn answer(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AnswerBody>,
) -> Result<Json<Answered>, ApiError> {
    Ok(Json(answer_escalation(&state, &caller, &id, body).await?))
}

/// Answers the question `id` names for `caller` (REST and the WebSocket's
/// `escalation.response`) and audits it.
pub(super) async fn answer_escalation(
    state: &ApiState,
    caller: &Caller,
    id: &str,
    body: AnswerBody,
) -> Result<Answered, ApiError> {
    let id = questions::resolve_id(&state.store.reader, id)
        .await?
        .map_err(ApiError::not_found)?;
    let question = questions::get(&state.store.reader, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no escalation {id}")))?;
    if !question.is_open() {
        return Err(ApiError::conflict(format!(
            "escalation {id} is closed already ({} by {})",
            question.choice.as_deref().unwrap_or("no answer"),
            question.decided_by.as_deref().unwrap_or("nobody")
        )));
    }
    let remember = match body.remember.as_deref() {
        None | Some("") | Some("none") => None,
        Some("task") => Some(RememberScope::Task),
        Some("session") => Some(RememberScope::Session),
        Some("rule") => Some(RememberScope::Rule),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "remember must be task, session or rule, not `{other}`"
            )));
        }
    };
    let request = AnswerRequest {
        escalation: id.as_str().to_string(),
        choice: body.choice,
        all: body.all,
        remember,
        via: format!("the API (token {})", caller.token_id),
    };
    let outcome = state.handle.answer(request).await.map_err(|e| match e {
        AnswerError::NotAnOption(m) => ApiError::invalid(m),
        // Closed between the look above and the answer.
        AnswerError::Failed(m) => ApiError::conflict(m),
    })?;
    let mut entry = caller.audit("api.answer");
    entry.insert("escalation_id".into(), outcome.id.as_str().into());
    entry.insert("task_id".into(), outcome.task_id.as_str().into());
    entry.insert("choice".into(), outcome.choice.clone().into());
    state.audit.record(entry);
    Ok(Answered {
        escalation_id: outcome.id.as_str().to_string(),
        task_id: outcome.task_id.as_str().to_string(),
        choice: outcome.choice.clone(),
        also: outcome.also,
        summary: outcome.summary(),
    })
}

/// `GET /api/decisions`'s query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionsQuery {
    /// Only the decisions of this task.
    pub task: Option<String>,
}

/// `GET /api/decisions`: the ledger, oldest first.
#[utoipa::path(
    get,
    path = "/api/decisions",
    operation_id = "list_decisions",
    tag = "inbox",
    security(("bearer" = [])),
    params(DecisionsQuery),
    responses(
        (status = 200, description = "The decision ledger, oldest first (`bosun decisions --json`)",
            body = Vec<DecisionView>),
        crate::api::openapi::Unauthorized,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
    )
)]
pub async fn decisions(
    State(state): State<Arc<ApiState>>,
    QueryParams(query): QueryParams<DecisionsQuery>,
) -> Result<Json<Vec<DecisionView>>, ApiError> {
    let task = query
        .task
        .filter(|t| !t.is_empty())
        .map(|t| TaskId::from(t.as_str()));
    Ok(Json(
        ledger::list_decisions(&state.store.reader, task.as_ref()).await?,
    ))
}
