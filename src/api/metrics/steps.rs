//! Step durations, observed live: for each step the engine reports finished (a committed
//! `StepFinished`), its row's start and finish times and its skill, into a histogram by skill
//! and how it ended. The row, not the moment the event arrives, gives the duration, so a slow
//! observer measures the same. A receiver that falls behind the broadcast reads the events it
//! missed from the store's event log, so no finished step goes uncounted.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::broadcast::error::RecvError;

use crate::api::ApiState;
use crate::protocol::{EngineEvent, EventEnvelope, StepStatus, TaskId};
use crate::store::{read, summary};

/// Upper bounds in seconds, for build steps: a quick `echo` to an hour-long test suite.
pub const BUCKETS: [f64; 16] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0,
    3600.0,
];

/// Events read from the store at once when catching up.
const CATCH_UP_PAGE: i64 = 500;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabels {
    /// The skill it ran (`shell`, `claude-code`, …), or `decide` / `parallel`.
    pub skill: String,
    /// succeeded, failed, cancelled.
    pub status: String,
}

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The histogram of step durations, by skill and status; clones share it.
#[derive(Debug, Clone)]
pub struct StepDurations(Family<StepLabels, Histogram, fn() -> Histogram>);

impl Default for StepDurations {
    fn default() -> StepDurations {
        StepDurations(Family::new_with_constructor(histogram))
    }
}

impl StepDurations {
    /// The family to register.
    pub fn family(&self) -> Family<StepLabels, Histogram, fn() -> Histogram> {
        self.0.clone()
    }

    pub fn observe(&self, skill: &str, status: StepStatus, seconds: f64) {
        let labels = StepLabels {
            skill: skill.to_string(),
            status: status.as_str().to_string(),
        };
        self.0.get_or_create(&labels).observe(seconds);
    }
}

/// Follows the engine's committed events until the server stops.
pub async fn follow(state: Arc<ApiState>) {
    let pool = &state.store.reader;
    // Where the log stood before this server listened: a catch-up starts no earlier.
    let mut last = summary::last_seq(pool).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "step durations: cannot read the event log");
        0
    });
    let mut events = state.handle.subscribe();
    loop {
        let received = tokio::select! {
            _ = state.stop.cancelled() => return,
            received = events.recv() => received,
        };
        match received {
            Ok(envelope) if envelope.seq > last => {
                last = envelope.seq;
                seen(&state, &envelope).await;
            }
            // Already read from the store while catching up.
            Ok(_) => {}
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "step durations: catching up from the event log");
                last = catch_up(&state, last).await;
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Reads the events after `last` from the store; the newest seen.
async fn catch_up(state: &ApiState, mut last: i64) -> i64 {
    loop {
        let page = match summary::events_since(&state.store.reader, last, CATCH_UP_PAGE).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "step durations: cannot read the event log");
                return last;
            }
        };
        let Some(newest) = page.last().map(|e| e.seq) else {
            return last;
        };
        for envelope in &page {
            seen(state, envelope).await;
        }
        last = newest;
    }
}

async fn seen(state: &ApiState, envelope: &EventEnvelope) {
    if let EngineEvent::StepFinished {
        task_id,
        step_id,
        status,
        ..
    } = &envelope.event
    {
        step_finished(state, task_id, step_id, *status).await;
    }
}

async fn step_finished(state: &ApiState, task: &TaskId, step_id: &str, status: StepStatus) {
    let timing = match read::step_timing(&state.store.reader, task, step_id).await {
        Ok(Some(timing)) => timing,
        // The task was deleted since, or the step never ran (skipped).
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, %task, step_id, "step durations: cannot read the step");
            return;
        }
    };
    let parse = |at: &Option<String>| at.as_deref().and_then(crate::time::parse_rfc3339);
    if let (Some(started), Some(finished)) = (parse(&timing.started_at), parse(&timing.finished_at))
    {
        let seconds = (finished - started).as_seconds_f64().max(0.0);
        state.metrics.steps.observe(&timing.skill, status, seconds);
    }
}
