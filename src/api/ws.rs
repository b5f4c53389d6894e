//! `GET /ws`: the committed events, live, with replay from `?since=SEQ`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::ApiState;

/// `GET /ws`.
pub async fn upgrade(State(_state): State<Arc<ApiState>>) -> Response {
    super::error::ApiError::not_found("not yet").into_response()
}
