//! The connection to Redis: the `redis` crate's auto-reconnecting [`ConnectionManager`], made
//! lazily (a dead server at start costs nothing), with every call bounded by Bosun's own timeout
//! and put behind a [`Breaker`]. Going down and coming back are logged once each and published
//! on a `watch` for the status bar; no caller ever waits longer than the timeout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Cmd, FromRedisValue};
use tokio::sync::watch;

use super::breaker::{Admit, Breaker, Transition};
use crate::protocol::StoreHealth;

/// Why a call returned nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The breaker is open: the call was not made.
    #[error("redis is down")]
    Down,
    #[error("redis: {0}")]
    Failed(String),
}

struct Inner {
    client: Client,
    manager: ConnectionManager,
    breaker: Mutex<Breaker>,
    health: watch::Sender<StoreHealth>,
    timeout: Duration,
    /// The URL without its password, for messages.
    shown: String,
}

/// A cheap-to-clone handle on one project's Redis connection.
#[derive(Clone)]
pub struct RedisLink {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink")
            .field("url", &self.inner.shown)
            .finish()
    }
}

impl RedisLink {
    /// Prepares the connection without making it. Fails only on a malformed URL. Must be called
    /// inside a tokio runtime.
    pub fn new(url: &str, timeout: Duration) -> Result<RedisLink, String> {
        let client = Client::open(url).map_err(|e| format!("the Redis URL `{url}`: {e}"))?;
        // The manager's own bounds only keep its background reconnects from hanging; callers
        // are bounded by `timeout` below.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let manager = client
            .get_connection_manager_lazy(config)
            .map_err(|e| format!("the Redis URL `{url}`: {e}"))?;
        Ok(RedisLink {
            inner: Arc::new(Inner {
                client,
                manager,
                breaker: Mutex::new(Breaker::default()),
                health: watch::Sender::new(StoreHealth::Unknown),
                timeout,
                shown: hide_password(url),
            }),
        })
    }

    /// The URL as shown to the user (no password).
    pub fn url(&self) -> &str {
        &self.inner.shown
    }

    /// The per-call bound.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The client, for connections the manager does not multiplex (subscribers).
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Up, down (with why) or not tried yet; changes are announced.
    pub fn health(&self) -> watch::Receiver<StoreHealth> {
        self.inner.health.subscribe()
    }

    /// True while the breaker is open.
    pub fn is_down(&self) -> bool {
        self.breaker().is_down()
    }

    /// When the next probe is due, while down.
    pub fn retry_at(&self) -> Option<Instant> {
        self.breaker().retry_at()
    }

    /// Runs `cmd` within the link's timeout.
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, LinkError> {
        self.query_within(cmd, self.inner.timeout).await
    }

    /// Runs `cmd` within `limit` (a background writer may allow itself more than a reader).
    pub async fn query_within<T: FromRedisValue>(
        &self,
        cmd: &Cmd,
        limit: Duration,
    ) -> Result<T, LinkError> {
        if self.breaker().admit(Instant::now()) == Admit::Skip {
            return Err(LinkError::Down);
        }
        let mut conn = self.inner.manager.clone();
        let result = match tokio::time::timeout(limit, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {}", show_duration(limit))),
        };
        match &result {
            Ok(_) => self.succeeded(),
            Err(reason) => self.failed(reason),
        }
        result.map_err(LinkError::Failed)
    }

    /// A PING; true when Redis answered. Used to probe while down.
    pub async fn ping(&self) -> bool {
        self.query::<String>(&redis::cmd("PING")).await.is_ok()
    }

    /// Records a failure seen outside [`Self::query`] (a subscriber's connection dropping).
    pub fn failed(&self, reason: &str) {
        let transition = self.breaker().failed(Instant::now());
        if transition == Transition::WentDown {
            tracing::warn!(
                "redis: down ({reason}); Bosun goes on with SQLite alone and retries with backoff"
            );
            self.inner
                .health
                .send_replace(StoreHealth::Down(reason.to_string()));
        }
    }

    fn succeeded(&self) {
        let transition = self.breaker().succeeded(Instant::now());
        if let Transition::CameBack(after) = transition {
            tracing::info!(
                "redis: back after {}; publishing and caching resume",
                show_duration(after)
            );
        }
        self.inner.health.send_if_modified(|h| {
            let changed = *h != StoreHealth::Ok;
            *h = StoreHealth::Ok;
            changed
        });
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        // A poisoned lock only means a panic elsewhere while holding it; the state is plain data.
        self.inner
            .breaker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn show_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// `redis://user:secret@host/` → `redis://user:***@host/`.
fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((auth, host)) if auth.contains(':') => {
            let user = auth.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            hide_password("redis://u:secret@h:6379/0"),
            "redis://u:***@h:6379/0"
        );
        assert_eq!(hide_password("redis://h:6379/"), "redis://h:6379/");
    }

    #[tokio::test]
    async fn a_malformed_url_is_refused_up_front() {
        let err = RedisLink::new("http//nope", Duration::from_millis(10)).expect_err("bad url");
        assert!(err.contains("http//nope"), "{err}");
    }
}
