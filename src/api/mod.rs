//! The API (DESIGN.md §10): REST and a WebSocket of the committed events on `bosun run --api`,
//! with signed tokens and roles, `/metrics` for Prometheus, the OpenAPI document, the web
//! dashboard; and the MCP server of `bosun mcp`. A front end like the interface and the CLI: it
//! reads the store and acts through the [`EngineHandle`], and no request can stop the engine.

pub mod auth;
pub mod dashboard;
pub mod error;
mod inbox;
pub mod mcp;
pub mod metrics;
pub mod openapi;
mod session;
mod tasks;
pub mod token;
mod tokens;
pub mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

use crate::config::api::ApiSettings;
use crate::config::{ProjectPaths, Settings};
use crate::engine::EngineHandle;
use crate::store::Store;
use crate::store::audit::{AuditHandle, AuditLog};

/// What every request reaches.
#[derive(Debug)]
pub struct ApiState {
    pub handle: EngineHandle,
    pub store: Store,
    pub paths: ProjectPaths,
    /// The settings the engine started with (submissions are checked against them).
    pub settings_all: Arc<Settings>,
    pub settings: ApiSettings,
    pub key: token::SigningKey,
    pub tokens: auth::TokenCache,
    pub limiter: auth::Limiter,
    pub audit: AuditHandle,
    pub metrics: metrics::Metrics,
    /// `GET /api/tasks/{id}`'s answers at the store's current revision.
    pub task_cache: tasks::TaskCache,
    /// Cancelled when the server stops: WebSocket clients are told and let go.
    pub stop: CancellationToken,
    /// What the WebSocket's connections share.
    pub ws: ws::Hub,
}

impl ApiState {
    pub fn new(
        handle: EngineHandle,
        store: Store,
        paths: ProjectPaths,
        settings: &Settings,
    ) -> std::io::Result<ApiState> {
        let key = token::SigningKey::load_or_create(&paths.api_key())?;
        let (audit, _) = AuditHandle::spawn(AuditLog::new(paths.audit_log()));
        Ok(ApiState {
            metrics: metrics::Metrics::new(),
            task_cache: tasks::TaskCache::new(store.reader.clone()),
            handle,
            store,
            settings_all: Arc::new(settings.clone()),
            settings: settings.api.clone(),
            key,
            tokens: auth::TokenCache::default(),
            limiter: auth::Limiter::new(settings.api.rate_limit, settings.api.burst),
            audit,
            paths,
            stop: CancellationToken::new(),
            ws: ws::Hub::default(),
        })
    }
}

/// Every route, behind the token check.
pub fn router(state: Arc<ApiState>) -> Router {
    let api = Router::new()
        .route("/health", get(session::health))
        .route("/metrics", get(metrics::serve))
        .route("/ws", get(ws::upgrade))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/api/tasks", get(tasks::list).post(tasks::submit))
        .route("/api/tasks/{id}", get(tasks::one))
        .route("/api/tasks/{id}/cancel", post(tasks::cancel))
        .route("/api/state/session", get(session::session))
        .route("/api/inbox", get(inbox::list))
        .route("/api/escalations/{id}/answer", post(inbox::answer))
        .route("/api/decisions", get(inbox::decisions))
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}/revoke", post(tokens::revoke))
        .merge(dashboard::routes())
        .fallback(error::no_route);
    api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::authorize,
    ))
    // Outside the token check, so refused requests are counted too.
    .layer(axum::middleware::from_fn_with_state(
        state.metrics.requests(),
        metrics::count_requests,
    ))
    .layer(DefaultBodyLimit::max(state.settings.body_limit))
    .with_state(state)
}

/// A running API server; [`ApiServer::stop`] ends it.
#[derive(Debug)]
pub struct ApiServer {
    pub addr: SocketAddr,
    state: Arc<ApiState>,
    task: tokio::task::JoinHandle<()>,
}

impl ApiServer {
    /// Binds `settings.api.listen` (already checked) and serves it; the address it got is
    /// written to `.bosun/state/api.addr`.
    pub async fn start(
        handle: EngineHandle,
        store: Store,
        paths: ProjectPaths,
        settings: &Settings,
    ) -> Result<Option<ApiServer>, String> {
        // A killed engine's address is not this one's.
        let _ = std::fs::remove_file(paths.api_addr());
        let Some(listen) = &settings.api.listen else {
            return Ok(None);
        };
        let addr = settings.api.address(listen)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr} for the API: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let state = ApiState::new(handle, store, paths.clone(), settings)
            .map_err(|e| format!("cannot read the API key {}: {e}", paths.api_key().display()))?;
        let state = Arc::new(state);
        state.tokens.reload(&state.store.reader).await;
        tokio::spawn(watch_tokens(state.clone()));
        state.metrics.observe(&state);
        let app = router(state.clone());
        let stop = state.stop.clone();
        // Small writes (a WebSocket event, a short answer) go out at once: Nagle's algorithm
        // would hold one back until the client acknowledged the one before.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY on an API connection");
            }
        });
        let task = tokio::spawn(async move {
            let served = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the API server stopped");
            }
        });
        crate::config::private::write_private(&paths.api_addr(), format!("{addr}\n").as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", paths.api_addr().display()))?;
        tracing::info!(%addr, "API listening; the dashboard is at http://{addr}/");
        Ok(Some(ApiServer { addr, state, task }))
    }

    /// Stops accepting, tells WebSocket clients, and waits (a moment) for requests in hand.
    pub async fn stop(self) {
        self.state.stop.cancel();
        let _ = std::fs::remove_file(self.state.paths.api_addr());
        if tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .is_err()
        {
            tracing::warn!("API connections still open after 5 s; closed");
        }
        self.state.audit.flush().await;
    }
}

/// Reads the token records again whenever the store changes.
async fn watch_tokens(state: Arc<ApiState>) {
    let mut changes = state.handle.store_changes();
    loop {
        tokio::select! {
            _ = state.stop.cancelled() => return,
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                state.tokens.reload(&state.store.reader).await;
                // A burst of commits is one read, not one each.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
