//! The OpenAPI document (3.1) of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the protocol types' `ToSchema` derives, served at `/api/openapi.json`.
//!
//! Invariants: every route of [`super::router`] is in the document (a test below reads the
//! router's source) but the dashboard's static files, which are the page and not the API; and what each operation documents is what its handler answers, errors
//! included (tests/api_schemathesis.rs runs schemathesis against the served document).
//! `/ws` and `/metrics` are documented here, not on their handlers, since their bodies are not
//! JSON: a WebSocket upgrade, and Prometheus' text format.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;
use crate::protocol::TaskStatus;

/// The document: every operation, the bearer scheme, the schemas the operations name.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bosun API",
        description = "The REST API and WebSocket of `bosun run --api` (DESIGN.md §10). Every \
            route but `/health` needs `Authorization: Bearer TOKEN`, a token made by \
            `bosun token create --role readonly|user|admin`. Errors are `{\"error\": \"...\"}`."
    ),
    paths(
        super::session::health,
        metrics,
        websocket,
        serve,
        super::tasks::list,
        super::tasks::submit,
        super::tasks::one,
        super::tasks::cancel,
        super::session::session,
        super::inbox::list,
        super::inbox::answer,
        super::inbox::decisions,
        super::tokens::list,
        super::tokens::create,
        super::tokens::revoke,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Bearer),
    tags(
        (name = "tasks", description = "Submit, read and cancel tasks"),
        (name = "inbox", description = "Questions waiting for an answer, and the decision ledger"),
        (name = "session", description = "What the engine is doing, and its health"),
        (name = "tokens", description = "API tokens (admin only)"),
        (name = "meta", description = "Metrics, the event stream and this document"),
    )
)]
pub struct ApiDoc;

/// The `bearer` security scheme every operation but `/health` names.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A token from `bosun token create --role R`: readonly reads, user also \
                 submits, cancels and answers, admin also manages tokens.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document as JSON, made once.
pub fn document() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        // Serialising a tree of strings, maps and numbers cannot fail; an empty object keeps
        // the route answering if it ever did.
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|_| "{}".to_string())
    })
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of the API", body = Object),
        Unauthorized,
        RateLimited,
    )
)]
pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}

/// `?status=` of `GET /api/tasks`: a task status, or empty for every status (as a form's
/// "any" choice sends it).
pub fn status_filter() -> utoipa::openapi::schema::Object {
    let names = std::iter::once("").chain(TaskStatus::ALL.iter().map(|s| s.as_str()));
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(names))
        .build()
}

// What `/metrics` and `/ws` answer, for the document: their handlers (metrics.rs, ws.rs) give
// no JSON for the macros to read. Never called.

/// Prometheus metrics
///
/// The API's and the engine's counters and histograms in Prometheus' text format.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "meta",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The metrics, in Prometheus' text exposition format",
            content(
                (String = "text/plain"),
                (String = "application/openmetrics-text"),
            )),
        Unauthorized,
        RateLimited,
    )
)]
#[allow(dead_code)]
fn metrics() {}

/// The event stream
///
/// A WebSocket of `{"event", "timestamp", "seq", "payload"}` messages: `task.submitted`,
/// `task.started`, `task.progress`, `task.completed`, `task.failed`, `task.cancelled`,
/// `escalation.required`, `escalation.resolved`, `state.updated`. Clients send
/// `{"event", "payload"}` with `task.submit`, `task.cancel`, `state.query`,
/// `escalation.response`, answered with `<event>.ok` or `error` (`{"error", "status"}`).
/// The server closes with 1001 (stopping), 1008 (too slow), 1011 (store failed) or 4401 (token
/// revoked or expired), each reason naming the `since` to reconnect with where it applies.
/// Browsers, which cannot set headers on a WebSocket, give the token as `?token=`.
#[utoipa::path(
    get,
    path = "/ws",
    operation_id = "websocket",
    tag = "meta",
    security(("bearer" = [])),
    params(
        ("since" = Option<i64>, Query, description = "Replay the committed events after this \
            sequence number, then go on live"),
        ("token" = Option<String>, Query, description = "The token, for clients that cannot \
            set `Authorization`"),
    ),
    responses(
        (status = 101, description = "Switching Protocols: the WebSocket is open"),
        (status = 400, description = "Not a WebSocket upgrade request, or a `since` that is \
            not a number"),
        Unauthorized,
        RateLimited,
    )
)]
#[allow(dead_code)]
fn websocket() {}

// The error answers, one type each so every operation lists exactly the ones it gives.

/// The body is not JSON (or not of a JSON the operation reads).
#[derive(utoipa::IntoResponses)]
#[response(status = 400)]
pub struct NotJson(pub ErrorBody);

/// No token, or one that is expired, revoked or not signed by this project.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 401,
    headers(("WWW-Authenticate" = String, description = "`Bearer`"))
)]
pub struct Unauthorized(pub ErrorBody);

/// The token's role may not do this (user to change things, admin for tokens).
#[derive(utoipa::IntoResponses)]
#[response(status = 403)]
pub struct Forbidden(pub ErrorBody);

/// No such id (or a prefix of several).
#[derive(utoipa::IntoResponses)]
#[response(status = 404)]
pub struct NotFound(pub ErrorBody);

/// The thing is in a state that does not allow it (finished, answered, revoked already).
#[derive(utoipa::IntoResponses)]
#[response(status = 409)]
pub struct Conflict(pub ErrorBody);

/// The body is larger than `api.body_limit` (1 MiB by default).
#[derive(utoipa::IntoResponses)]
#[response(status = 413)]
pub struct TooLarge(pub ErrorBody);

/// JSON that does not validate: a missing or unknown field, a value that is not one of those
/// allowed, an unknown workflow, a choice that is not an option.
#[derive(utoipa::IntoResponses)]
#[response(status = 422)]
pub struct Invalid(pub ErrorBody);

/// More requests than `api.rate_limit` a second from this client.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 429,
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct RateLimited(pub ErrorBody);

/// Bosun's store failed to answer.
#[derive(utoipa::IntoResponses)]
#[response(status = 500)]
pub struct Failed(pub ErrorBody);

/// The disk holding the database is full: nothing can be saved until space is freed, and
/// Bosun resumes by itself then.
#[derive(utoipa::IntoResponses)]
#[response(status = 503)]
pub struct DiskFull(pub ErrorBody);

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    /// `(method, path)` of every `.route("PATH", get(…).post(…))` in `source`.
    fn routes(source: &str) -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        for part in source.split(".route(").skip(1) {
            let rest = part.trim_start().strip_prefix('"').expect("a literal path");
            let (path, rest) = rest.split_once('"').expect("a closed literal");
            // The method routers, up to the parenthesis that closes `.route(`.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find_map(|(i, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(i)
                })
                .expect("a closed .route(");
            let handlers = &rest[..end];
            assert!(
                !handlers.contains("any("),
                "{path}: a route for any method cannot be documented"
            );
            for method in ["get", "post", "put", "patch", "delete"] {
                let call = format!("{method}(");
                let named = handlers.match_indices(&call).any(|(i, _)| {
                    !handlers[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                });
                if named {
                    found.insert((method.to_string(), path.to_string()));
                }
            }
        }
        found
    }

    fn document_json() -> Value {
        serde_json::from_str(document()).expect("the document is JSON")
    }

    fn operations(doc: &Value) -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                found.insert((method.clone(), path.clone()));
            }
        }
        found
    }

    #[test]
    fn the_document_lists_every_route_of_the_router_and_no_other() {
        let source = include_str!("mod.rs");
        assert!(
            !source.contains(".nest("),
            "a nested router: teach this test to read it"
        );
        let routed = routes(source);
        assert!(
            routed.contains(&("get".into(), "/api/tasks/{id}".into())),
            "the router's source was not read: {routed:?}"
        );
        let documented = operations(&document_json());
        let missing: Vec<_> = routed.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&routed).collect();
        assert!(
            missing.is_empty(),
            "routes not in the document: {missing:?}"
        );
        assert!(extra.is_empty(), "documented but not routed: {extra:?}");
    }

    #[test]
    fn every_operation_but_health_needs_a_bearer_token_and_errors_are_error_bodies() {
        let doc = document_json();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["bearerFormat"],
            "JWT"
        );
        let mut ids = BTreeSet::new();
        for (method, path) in operations(&doc) {
            let op = &doc["paths"][&path][&method];
            let id = op["operationId"].as_str().expect("an operationId");
            assert!(ids.insert(id.to_string()), "operationId {id} twice");
            let responses = op["responses"].as_object().expect("responses");
            if path == "/health" {
                assert_eq!(op["security"], serde_json::json!([{}]), "{path} is open");
            } else {
                assert_eq!(
                    op["security"],
                    serde_json::json!([{"bearer": []}]),
                    "{path}"
                );
                assert!(responses.contains_key("401"), "{method} {path}: no 401");
            }
            assert!(responses.contains_key("429"), "{method} {path}: no 429");
            for (status, response) in responses {
                // `/ws`'s 400 is axum's refusal of an upgrade; `/health`'s 503 is its state.
                if status.starts_with(['4', '5']) && path != "/ws" && status != "503" {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}
