//! Pausing an adapter's agent steps after its API gave up: when an agent's own retries of a
//! 429, 529 or 5xx ran out, hammering the API again from every step would only fail the same
//! way, so every agent step of that adapter waits a backoff (doubling while failures go on,
//! reset by a session that ends well) and then takes its session up again.
//!
//! It lives in the engine's memory: after a restart the steps start at once, and the first
//! failure pauses them again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::agents::MAX_PAUSE_DOUBLINGS;

#[derive(Debug, Default)]
struct Pause {
    until: Option<Instant>,
    /// Pauses in a row without a session that ended well.
    streak: u32,
}

/// Every adapter's pause, shared by the engine's runners.
#[derive(Debug, Default)]
pub struct AgentPauses {
    // A plain mutex: it is held for a lookup, never across an await.
    by_adapter: Mutex<HashMap<String, Pause>>,
}

impl AgentPauses {
    /// Pauses `adapter` for `base` doubled by the pauses in a row; returns how long. Steps
    /// that fail while a pause lasts join it rather than lengthen it.
    pub fn pause(&self, adapter: &str, base: Duration) -> Duration {
        let mut map = self.by_adapter.lock().unwrap_or_else(|e| e.into_inner());
        let pause = map.entry(adapter.to_string()).or_default();
        let now = Instant::now();
        if let Some(until) = pause.until.filter(|u| *u > now) {
            return until - now;
        }
        let wait = base.saturating_mul(2u32.pow(pause.streak.min(MAX_PAUSE_DOUBLINGS)));
        pause.streak = pause.streak.saturating_add(1);
        pause.until = Some(now + wait);
        wait
    }

    /// A session of `adapter` ended well: the next failure starts from the base pause again.
    pub fn clear(&self, adapter: &str) {
        let mut map = self.by_adapter.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(adapter);
    }

    /// When `adapter`'s pause ends, while it lasts.
    pub fn until(&self, adapter: &str) -> Option<Instant> {
        let map = self.by_adapter.lock().unwrap_or_else(|e| e.into_inner());
        map.get(adapter)
            .and_then(|p| p.until)
            .filter(|u| *u > Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pauses_double_while_failures_go_on_and_reset_after_a_success() {
        let pauses = AgentPauses::default();
        let base = Duration::from_secs(60);
        assert_eq!(pauses.pause("claude-code", base), base);
        assert!(pauses.until("codex").is_none(), "other adapters go on");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(
            pauses.pause("claude-code", base),
            Duration::from_secs(50),
            "a second step failing meanwhile joins the pause"
        );
        let mut last = Duration::ZERO;
        for _ in 0..10 {
            tokio::time::advance(last + Duration::from_secs(1)).await;
            last = pauses.pause("claude-code", base);
        }
        assert_eq!(last, base * 16, "doubling is capped");
        assert!(pauses.until("claude-code").is_some());
        tokio::time::advance(last + Duration::from_secs(1)).await;
        assert!(pauses.until("claude-code").is_none(), "the pause is over");
        pauses.clear("claude-code");
        assert_eq!(
            pauses.pause("claude-code", base),
            base,
            "a success resets it"
        );
    }
}
