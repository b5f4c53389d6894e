//! `/api/tasks`: list, read, submit and cancel tasks, as `bosun tasks`, `show`, `submit` and
//! `cancel` do.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::auth::Caller;
use super::error::{ApiError, JsonBody, QueryParams};
use crate::engine::submit::{SubmitError, prepare};
use crate::protocol::{Isolation, Priority, SubmitRequest, TaskId, TaskJson, TaskStatus};
use crate::store::{history, read};

mod cache;
pub use cache::TaskCache;

/// The most tasks one list gives.
const MAX_LIMIT: i64 = 1_000;

/// `GET /api/tasks`'s query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only tasks in this status: queued, running, waiting, succeeded, failed, cancelled
    /// (empty: every status).
    #[param(schema_with = crate::api::openapi::status_filter)]
    pub status: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// `GET /api/tasks`: tasks, newest first.
#[utoipa::path(
    get,
    path = "/api/tasks",
    operation_id = "list_tasks",
    tag = "tasks",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "Tasks with their steps, newest first (`bosun tasks --json`)",
            body = Vec<TaskJson>),
        crate::api::openapi::Unauthorized,
        crate::api::openapi::Invalid,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
    )
)]
pub async fn list(
    State(state): State<Arc<ApiState>>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<Vec<TaskJson>>, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<TaskStatus>()
                .map_err(|e| ApiError::invalid(e.to_string()))?,
        ),
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit must be between 1 and {MAX_LIMIT}, not {limit}"
        )));
    }
    let tasks = read::list_tasks(&state.store.reader, status, limit).await?;
    Ok(Json(tasks.into_iter().map(TaskJson::new).collect()))
}

/// `GET /api/tasks/{id}`: one task with its steps (a unique prefix of its id will do).
#[utoipa::path(
    get,
    path = "/api/tasks/{id}",
    operation_id = "get_task",
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The task's id, or a unique prefix of it")),
    responses(
        (status = 200, description = "The task with its steps (`bosun show --json`)",
            body = TaskJson),
        crate::api::openapi::Unauthorized,
        crate::api::openapi::NotFound,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
    )
)]
pub async fn one(
    State(state): State<Arc<ApiState>>,
    Path(asked): Path<String>,
) -> Result<Response, ApiError> {
    let revision = state.task_cache.revision().await?;
    if let Some(body) = state.task_cache.get(revision, &asked) {
        return Ok(json_bytes(body));
    }
    let id = resolve(&state, &asked).await?;
    let task = state
        .handle
        .task(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no task {id}")))?;
    let body = serde_json::to_vec(&TaskJson::new(task)).map_err(ApiError::internal)?;
    let body = Bytes::from(body);
    // Kept only when no commit landed while it was read: then it is the task at `revision`.
    if state.task_cache.revision().await? == revision {
        state.task_cache.put(revision, &asked, body.clone());
    }
    Ok(json_bytes(body))
}

/// A JSON body already serialised.
fn json_bytes(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The full id `text` names, or 404.
async fn resolve(state: &ApiState, text: &str) -> Result<TaskId, ApiError> {
    match read::resolve_task_id(&state.store.reader, text).await {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(ApiError::not_found(format!(
            "no task `{text}` in this project"
        ))),
        // A prefix of several ids.
        Err(crate::store::StoreError::Conflict(m)) => Err(ApiError::not_found(m)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/tasks`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// What to do, in words (or a command, for the default shell workflow).
    #[schema(min_length = 1)]
    pub description: String,
    /// low, normal (the default), high or critical.
    #[serde(default)]
    #[schema(value_type = Option<Priority>)]
    pub priority: Option<String>,
    /// More for the task to know, added to its description after a blank line.
    #[serde(default)]
    pub context: Option<String>,
    /// The workflow to run (default: chosen from the description).
    #[serde(default)]
    pub workflow_id: Option<String>,
    /// The workflow's inputs by name; values that are not strings are given as JSON.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// `worktree` or `none`: overrides the workflow's isolation.
    #[serde(default)]
    #[schema(value_type = Option<Isolation>)]
    pub isolation: Option<String>,
    /// The ref a worktree task starts from.
    #[serde(default)]
    pub base: Option<String>,
}

/// `POST /api/tasks`'s answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Submitted {
    pub task_id: String,
    /// `queued`.
    pub status: String,
    /// When it may be done, from how long its workflow's recent successes took (RFC 3339);
    /// null until one has succeeded.
    pub estimated_completion: Option<String>,
}

impl SubmitBody {
    fn request(self) -> Result<SubmitRequest, ApiError> {
        if self.description.trim().is_empty() {
            return Err(ApiError::invalid("description is empty: say what to do"));
        }
        let priority = match self.priority.as_deref() {
            None => Priority::Normal,
            Some(p) => p.parse().map_err(|e: crate::protocol::ParseError| {
                ApiError::invalid(format!("priority: {e}"))
            })?,
        };
        let isolation = match self.isolation.as_deref() {
            None => None,
            Some(i) => Some(
                i.parse::<Isolation>()
                    .map_err(|e| ApiError::invalid(format!("isolation: {e}")))?,
            ),
        };
        let description = match self.context.as_deref().map(str::trim) {
            Some(context) if !context.is_empty() => {
                format!("{}\n\n{context}", self.description.trim_end())
            }
            _ => self.description,
        };
        let inputs = self
            .inputs
            .into_iter()
            .map(|(k, v)| (k, crate::protocol::input_text(v)))
            .collect();
        Ok(SubmitRequest {
            description,
            workflow: self.workflow_id.filter(|w| !w.is_empty()),
            inputs,
            priority,
            isolation,
            base: self.base,
        })
    }
}

/// `POST /api/tasks`: queues a task; 202 once it is committed.
#[utoipa::path(
    post,
    path = "/api/tasks",
    operation_id = "submit_task",
    tag = "tasks",
    security(("bearer" = [])),
    request_body = SubmitBody,
    responses(
        (status = 202, description = "Queued", body = Submitted,
            links(
                ("read" = (operation_id = "get_task",
                    parameters(("id" = "$response.body#/task_id")))),
                ("cancel" = (operation_id = "cancel_task",
                    parameters(("id" = "$response.body#/task_id")))),
            )),
        crate::api::openapi::NotJson,
        crate::api::openapi::Unauthorized,
        crate::api::openapi::Forbidden,
        crate::api::openapi::TooLarge,
        crate::api::openapi::Invalid,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
        crate::api::openapi::DiskFull,
    )
)]
pub async fn submit(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<SubmitBody>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let submitted = submit_task(&state, &caller, body).await?;
    Ok((StatusCode::ACCEPTED, Json(submitted)))
}

/// Queues a task for `caller` (REST and the WebSocket's `task.submit`) and audits it.
pub(super) async fn submit_task(
    state: &ApiState,
    caller: &Caller,
    body: SubmitBody,
) -> Result<Submitted, ApiError> {
    let request = body.request()?;
    if let Some(reason) = state.handle.disk_full() {
        return Err(ApiError::disk_full(&reason, "the task was not queued"));
    }
    // Checked here first, so that what is wrong with the request is a 422 and not a failure.
    let task = prepare(&state.paths, &state.settings_all, &request).map_err(|e| match e {
        SubmitError::Invalid(m) => ApiError::invalid(m),
        SubmitError::Store(e) => ApiError::internal(e),
    })?;
    let workflow = task.workflow;
    let id = state
        .handle
        .submit(request)
        .await
        .map_err(ApiError::invalid)?;
    let mut entry = caller.audit("api.submit");
    entry.insert("task_id".into(), id.as_str().into());
    entry.insert("workflow".into(), workflow.clone().into());
    state.audit.record(entry);
    let estimated_completion = history::typical_duration(&state.store.reader, &workflow)
        .await
        .ok()
        .flatten()
        .map(|secs| {
            let at = time::OffsetDateTime::now_utc() + time::Duration::seconds_f64(secs);
            crate::time::format_rfc3339(at)
        });
    Ok(Submitted {
        task_id: id.as_str().to_string(),
        status: TaskStatus::Queued.as_str().to_string(),
        estimated_completion,
    })
}

/// `POST /api/tasks/{id}/cancel`'s answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cancelled {
    pub task_id: String,
    /// `cancelled` (it was queued) or `cancelling` (its processes are being stopped).
    pub status: String,
}

/// `POST /api/tasks/{id}/cancel`: 409 when it already finished.
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/cancel",
    operation_id = "cancel_task",
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The task's id, or a unique prefix of it")),
    responses(
        (status = 202, description = "Cancelled, or being stopped", body = Cancelled),
        crate::api::openapi::Unauthorized,
        crate::api::openapi::Forbidden,
        crate::api::openapi::NotFound,
        crate::api::openapi::Conflict,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
        crate::api::openapi::DiskFull,
    )
)]
pub async fn cancel(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Cancelled>), ApiError> {
    let cancelled = cancel_task(&state, &caller, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(cancelled)))
}

/// Cancels the task `id` names for `caller` (REST and the WebSocket's `task.cancel`) and
/// audits it.
pub(super) async fn cancel_task(
    state: &ApiState,
    caller: &Caller,
    id: &str,
) -> Result<Cancelled, ApiError> {
    let id = resolve(state, id).await?;
    let task = read::get_task_record(&state.store.reader, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no task {id}")))?;
    if task.status.is_terminal() {
        return Err(ApiError::conflict(format!(
            "task {id} already {}: there is nothing to cancel",
            task.status.as_str()
        )));
    }
    let queued = task.status == TaskStatus::Queued;
    // On a full disk the engine still stops a running task's processes (recording it once
    // space is free) but cannot cancel a queued one, which is a write: it says so.
    state.handle.cancel(id.clone()).await.map_err(|e| {
        if state.handle.disk_full().is_some() {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e)
        } else {
            ApiError::internal(e)
        }
    })?;
    let mut entry = caller.audit("api.cancel");
    entry.insert("task_id".into(), id.as_str().into());
    state.audit.record(entry);
    Ok(Cancelled {
        task_id: id.as_str().to_string(),
        status: if queued { "cancelled" } else { "cancelling" }.into(),
    })
}
