//! `/api/state/session` (what the engine is doing: counts, limits, the autonomy rate, cost)
//! and `/health`, the one route open without a token.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::error::ApiError;
use crate::protocol::{StatsView, StoreHealth};

/// `GET /api/state/session`'s answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionState {
    /// Tasks by status: queued, running, waiting, succeeded, failed, cancelled.
    #[schema(value_type = Object)]
    pub tasks: std::collections::BTreeMap<String, i64>,
    pub limits: Limits,
    /// Questions waiting in the inbox.
    pub open_escalations: i64,
    /// Choices Bosun settled without asking, over all choices (null before the first), today
    /// (the UTC day) and over all time.
    pub autonomy_rate_today: Option<f64>,
    pub autonomy_rate: Option<f64>,
    /// What agent steps spent, in US dollars, today and over all time.
    pub cost_usd_today: f64,
    pub cost_usd: f64,
    /// The full counts `bosun stats --json` gives.
    pub stats: StatsView,
    pub health: HealthState,
}

/// The engine's limits now.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Limits {
    pub max_concurrent_workflows: usize,
    pub max_parallel_skills: usize,
}

/// `GET /health`'s answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthState {
    /// `ok` when SQLite answers, else `down`.
    pub status: String,
    /// `ok`, `down: why`.
    pub sqlite: String,
    /// `ok`, `off`, `down: why` or `unknown`.
    pub redis: String,
    /// Why the disk holding the database is full, while it is (null otherwise): no new task
    /// starts, running ones wait to save, submissions are refused with 503, and Bosun resumes
    /// by itself once space is freed.
    pub disk_full: Option<String>,
}

fn said(health: &StoreHealth) -> String {
    match health {
        StoreHealth::Ok => "ok".into(),
        StoreHealth::Off => "off".into(),
        StoreHealth::Unknown => "unknown".into(),
        StoreHealth::Down(why) => format!("down: {why}"),
    }
}

async fn health_state(state: &ApiState) -> HealthState {
    let health = state.handle.health().await;
    HealthState {
        status: if health.sqlite == StoreHealth::Ok {
            "ok"
        } else {
            "down"
        }
        .into(),
        sqlite: said(&health.sqlite),
        redis: said(&health.redis),
        disk_full: health.disk_full,
    }
}

/// `GET /health`: 200 while the store answers, 503 when it does not. Open to all.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "session",
    security(()),
    responses(
        (status = 200, description = "The store answers", body = HealthState),
        (status = 503, description = "SQLite does not answer", body = HealthState),
        crate::api::openapi::RateLimited,
    )
)]
pub async fn health(State(state): State<Arc<ApiState>>) -> (StatusCode, Json<HealthState>) {
    let health = health_state(&state).await;
    let code = if health.status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(health))
}

/// `GET /api/state/session`.
#[utoipa::path(
    get,
    path = "/api/state/session",
    operation_id = "session_state",
    tag = "session",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts, limits, the autonomy rate and cost",
            body = SessionState),
        crate::api::openapi::Unauthorized,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
    )
)]
pub async fn session(State(state): State<Arc<ApiState>>) -> Result<Json<SessionState>, ApiError> {
    Ok(Json(session_state(&state).await?))
}

/// What `GET /api/state/session` and the WebSocket's `state.updated` say.
pub(super) async fn session_state(state: &ApiState) -> Result<SessionState, ApiError> {
    let stats = state.handle.stats().await?;
    let settings = &state.settings_all.engine;
    Ok(SessionState {
        tasks: stats.tasks.clone(),
        limits: Limits {
            max_concurrent_workflows: state
                .handle
                .health()
                .await
                .limit
                .unwrap_or(settings.max_concurrent_workflows),
            max_parallel_skills: settings.max_parallel_skills,
        },
        open_escalations: stats.open_escalations,
        autonomy_rate_today: stats.today.autonomy_rate,
        autonomy_rate: stats.all_time.autonomy_rate,
        cost_usd_today: stats.agents.today.cost_usd,
        cost_usd: stats.agents.all_time.cost_usd,
        health: health_state(state).await,
        stats,
    })
}
