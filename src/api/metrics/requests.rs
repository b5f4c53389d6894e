//! `bosun_api_requests_total{route, status}`: the requests the API answered, counted by a
//! middleware in front of every route (the token check's refusals included). The route is the
//! router's template (`/api/tasks/{id}`), never the path as sent, so a client cannot make a
//! series per task id or per made-up path: anything unknown counts as `other`.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: &'static str,
    pub status: u16,
}

/// The request counts; clones share them.
#[derive(Debug, Clone, Default)]
pub struct Requests(Family<RequestLabels, Counter>);

impl Requests {
    /// The family to register.
    pub fn family(&self) -> Family<RequestLabels, Counter> {
        self.0.clone()
    }

    fn count(&self, route: &'static str, status: u16) {
        self.0.get_or_create(&RequestLabels { route, status }).inc();
    }
}

/// The middleware: `router()` layers it outside the token check, with
/// `axum::middleware::from_fn_with_state(state.metrics.requests(), metrics::count_requests)`.
pub async fn count_requests(
    State(requests): State<Requests>,
    req: Request,
    next: Next,
) -> Response {
    let route = route(req.uri().path());
    let response = next.run(req).await;
    requests.count(route, response.status().as_u16());
    response
}

/// Routes whose path is their template.
const FIXED: &[&str] = &[
    "/health",
    "/metrics",
    "/ws",
    "/api/openapi.json",
    "/api/tasks",
    "/api/state/session",
    "/api/inbox",
    "/api/decisions",
    "/api/tokens",
];

/// The route template a path matches, as `router()` in `src/api/mod.rs` declares them; a
/// route added there and not here counts as `other` (still counted, by status).
pub fn route(path: &str) -> &'static str {
    if let Some(fixed) = FIXED.iter().find(|r| **r == path) {
        return fixed;
    }
    let parts: Vec<&str> = path.split('/').collect();
    match parts[..] {
        ["", "api", "tasks", id] if !id.is_empty() => "/api/tasks/{id}",
        ["", "api", "tasks", id, "cancel"] if !id.is_empty() => "/api/tasks/{id}/cancel",
        ["", "api", "escalations", id, "answer"] if !id.is_empty() => {
            "/api/escalations/{id}/answer"
        }
        ["", "api", "tokens", id, "revoke"] if !id.is_empty() => "/api/tokens/{id}/revoke",
        _ if crate::api::dashboard::is_static(path) => "/dashboard",
        _ => "other",
    }
}
