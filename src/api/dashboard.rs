//! The web dashboard: static files compiled into the binary, served open (they hold no data;
//! the page asks for a token and reads everything through the API).

use std::sync::Arc;

use axum::Router;

use super::ApiState;

/// Whether `path` is one of the dashboard's static files (served without a token).
pub fn is_static(path: &str) -> bool {
    path == "/" || path.starts_with("/dashboard/")
}

/// The dashboard's routes.
pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
}
