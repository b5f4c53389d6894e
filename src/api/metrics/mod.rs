//! `/metrics` for Prometheus, in the OpenMetrics text format (prometheus-client with a registry
//! of its own, no global recorder). Two kinds of metric:
//!
//! - what the store knows, read when Prometheus scrapes ([`scrape`]): tasks by status,
//!   decisions by who made them, the autonomy rate, the inbox, what agents spent, and whether
//!   SQLite and Redis answer. A handful of indexed rows and running totals, whatever the
//!   history; nothing is kept between scrapes, so a restarted server loses no count.
//! - what only the moment shows, observed live: step durations from the engine's committed
//!   events ([`steps`]), and the API's requests by route and status ([`requests`]). These
//!   start from zero with the server, as Prometheus expects of counters and histograms.
//!
//! Every name starts with `bosun_`. The exposition always ends with `# EOF`.

mod requests;
mod scrape;
mod steps;

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::registry::{Registry, Unit};

pub use requests::{Requests, count_requests};

use super::ApiState;
use super::error::ApiError;

/// What `/metrics` answers with: OpenMetrics text, which Prometheus asks for and reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every metric's prefix.
const PREFIX: &str = "bosun";

/// The metrics the API keeps in memory, in their registry; the rest is read at scrape time.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    steps: steps::StepDurations,
    requests: Requests,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix(PREFIX);
        let steps = steps::StepDurations::default();
        registry.register_with_unit(
            "step_duration",
            "How long steps ran, from start to finish (waiting on questions included), by skill \
             and how they ended",
            Unit::Seconds,
            steps.family(),
        );
        let requests = Requests::default();
        registry.register(
            "api_requests",
            "Requests the API answered, by route and HTTP status",
            requests.family(),
        );
        Metrics {
            registry,
            steps,
            requests,
        }
    }

    /// Starts following the engine's committed events (step durations), until the server
    /// stops. Called once, when the server starts.
    pub fn observe(&self, state: &Arc<ApiState>) {
        tokio::spawn(steps::follow(state.clone()));
    }

    /// The request counter [`count_requests`] adds to (a handle on the same counts).
    pub fn requests(&self) -> Requests {
        self.requests.clone()
    }

    /// The whole exposition: `scraped` (read from the store just now), then what is kept in
    /// memory, then `# EOF`.
    fn render(&self, scraped: scrape::Scraped) -> Result<String, std::fmt::Error> {
        let mut now = Registry::with_prefix(PREFIX);
        now.register_collector(Box::new(scraped));
        let mut text = String::new();
        encode_registry(&mut text, &now)?;
        encode_registry(&mut text, &self.registry)?;
        encode_eof(&mut text)?;
        Ok(text)
    }
}

/// `GET /metrics` (a `readonly` token or better). A store that does not answer is reported
/// as `bosun_store_up 0` with the metrics kept in memory, not as an error: Prometheus still
/// gets something to alert on.
pub async fn serve(State(state): State<Arc<ApiState>>) -> Response {
    let scraped = scrape::Scraped::read(&state).await;
    match state.metrics.render(scraped) {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => ApiError::internal(format!("cannot encode the metrics: {e}")).into_response(),
    }
}

#[cfg(test)]
mod tests;
