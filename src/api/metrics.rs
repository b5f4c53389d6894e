//! `/metrics` in the Prometheus text format.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::ApiState;

/// The collectors the API keeps.
#[derive(Debug, Default)]
pub struct Metrics {}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {}
    }

    /// Starts following the engine's events (step durations).
    pub fn observe(&self, _state: &Arc<ApiState>) {}
}

/// `GET /metrics`.
pub async fn serve(State(_state): State<Arc<ApiState>>) -> Response {
    "".into_response()
}
