//! `/api/tokens`: an admin lists, makes and revokes tokens over the API, as `bosun token` does.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::auth::Caller;
use super::error::{ApiError, JsonBody};
use super::token::Role;
use crate::store::tokens::{self, TokenOp, TokenRecord};

/// A token's record as the API gives it (never the token itself).
pub type TokenInfo = TokenRecord;

/// `GET /api/tokens`: every token made, newest first.
#[utoipa::path(
    get,
    path = "/api/tokens",
    operation_id = "list_tokens",
    tag = "tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every token made, newest first (never the tokens themselves)",
            body = Vec<TokenInfo>),
        crate::api::openapi::Unauthorized,
        crate::api::openapi::Forbidden,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
    )
)]
pub async fn list(State(state): State<Arc<ApiState>>) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let list = tokens::list(&state.store.reader).await?;
    Ok(Json(list))
}

/// `POST /api/tokens`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// readonly, user or admin.
    #[schema(pattern = "^(readonly|user|admin)$")]
    pub role: String,
    /// How long it is valid: `30m`, `24h`, `30d` (default 24h).
    #[serde(default)]
    pub ttl: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /api/tokens`'s answer: the token, shown this once.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Created {
    pub token: String,
    pub id: String,
    pub role: String,
    pub expires_at: String,
}

/// `POST /api/tokens`: makes a token (201).
#[utoipa::path(
    post,
    path = "/api/tokens",
    operation_id = "create_token",
    tag = "tokens",
    security(("bearer" = [])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The token, shown this once", body = Created,
            links(("revoke" = (operation_id = "revoke_token",
                parameters(("id" = "$response.body#/id")))))),
        crate::api::openapi::NotJson,
        crate::api::openapi::Unauthorized,
        crate::api::openapi::Forbidden,
        crate::api::openapi::TooLarge,
        crate::api::openapi::Invalid,
        crate::api::openapi::RateLimited,
    )
)]
pub async fn create(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let role = Role::parse(&body.role).ok_or_else(|| {
        ApiError::invalid(format!(
            "role must be readonly, user or admin, not `{}`",
            body.role
        ))
    })?;
    let ttl = match body.ttl.as_deref() {
        None => std::time::Duration::from_secs(24 * 3600),
        Some(text) => crate::config::parse_duration(text)
            .map_err(|e| ApiError::invalid(format!("ttl: {e}")))?,
    };
    let made = issue(
        &state,
        role,
        ttl,
        body.name,
        format!("api:{}", caller.token_id),
    )
    .await
    .map_err(ApiError::invalid)?;
    let mut entry = caller.audit("api.token_create");
    entry.insert("new_token_id".into(), made.id.clone().into());
    entry.insert("new_role".into(), role.as_str().into());
    state.audit.record(entry);
    Ok((StatusCode::CREATED, Json(made)))
}

/// Makes, records and signs a token.
async fn issue(
    state: &ApiState,
    role: Role,
    ttl: std::time::Duration,
    name: Option<String>,
    by: String,
) -> Result<Created, String> {
    let (record, token) = super::token::mint(&state.key, role, ttl, name, by)?;
    state
        .store
        .writer
        .write(vec![TokenOp::Create(record.clone()).into()])
        .await
        .map_err(|e| e.to_string())?;
    Ok(Created {
        token,
        id: record.id,
        role: record.role,
        expires_at: record.expires_at,
    })
}

/// `POST /api/tokens/{id}/revoke`: 404 for an unknown token, 409 for one revoked already.
#[utoipa::path(
    post,
    path = "/api/tokens/{id}/revoke",
    operation_id = "revoke_token",
    tag = "tokens",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 200, description = "The token's record, revoked", body = TokenInfo),
        crate::api::openapi::Unauthorized,
        crate::api::openapi::Forbidden,
        crate::api::openapi::NotFound,
        crate::api::openapi::Conflict,
        crate::api::openapi::RateLimited,
        crate::api::openapi::Failed,
    )
)]
pub async fn revoke(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<TokenInfo>, ApiError> {
    let Some(found) = tokens::get(&state.store.reader, &id).await? else {
        return Err(ApiError::not_found(format!("no token {id}")));
    };
    if found.revoked_at.is_some() {
        return Err(ApiError::conflict(format!("token {id} is revoked already")));
    }
    let at = crate::time::now_rfc3339();
    state
        .store
        .writer
        .write(vec![TokenOp::Revoke { id: id.clone(), at }.into()])
        .await
        .map_err(|e| ApiError::conflict(e.to_string()))?;
    state.tokens.reload(&state.store.reader).await;
    let mut entry = caller.audit("api.token_revoke");
    entry.insert("revoked_token_id".into(), id.clone().into());
    state.audit.record(entry);
    let now = tokens::get(&state.store.reader, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no token {id}")))?;
    Ok(Json(now))
}
