//! Redis, the optional mirror of the store (DESIGN.md §1, §7): a pub/sub channel of committed
//! events, so other processes see changes live, and a read cache versioned by the store's
//! revision. SQLite stays the truth; Redis being off, down, slow or flushed costs at most one
//! bounded call before Bosun goes on without it.
//!
//! - [`link`]: the connection, its timeout and circuit breaker ([`breaker`]), its health;
//! - [`keys`]: the per-project namespace;
//! - [`cache`]: revision-tagged values;
//! - [`feed`]: following the events from another process, with SQLite to fill gaps.
//!
//! The engine side (publishing, writing the cache through) is `engine::publish`.

pub mod breaker;
pub mod cache;
pub mod feed;
pub mod keys;
pub mod link;

use std::path::Path;
use std::time::Duration;

pub use cache::Cache;
pub use feed::{FeedItem, FeedStore, follow};
pub use keys::Keys;
pub use link::{LinkError, RedisLink};

use crate::protocol::EventEnvelope;

/// The bound on publishing one event (the publisher runs beside the engine, never in its way).
const PUBLISH_LIMIT: Duration = Duration::from_millis(250);

/// One project's Redis: the link, the namespace and the cache over them.
#[derive(Clone, Debug)]
pub struct Mirror {
    pub link: RedisLink,
    pub cache: Cache,
}

impl Mirror {
    /// The mirror of the project at `root` through `url`; `None` when `url` is `None` (Redis
    /// off). Fails only on a malformed URL.
    pub fn new(
        url: Option<&str>,
        root: &Path,
        timeout: Duration,
    ) -> Result<Option<Mirror>, String> {
        let Some(url) = url else { return Ok(None) };
        let link = RedisLink::new(url, timeout)?;
        let keys = Keys::for_project(root);
        Ok(Some(Mirror {
            cache: Cache::new(link.clone(), keys),
            link,
        }))
    }

    pub fn keys(&self) -> &Keys {
        self.cache.keys()
    }

    /// Publishes one committed event on the project's channel.
    pub async fn publish(&self, event: &EventEnvelope) -> Result<(), LinkError> {
        let payload = serde_json::to_string(event)
            .map_err(|e| LinkError::Failed(format!("event not serializable: {e}")))?;
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(self.keys().events()).arg(payload);
        self.link
            .query_within::<i64>(&cmd, PUBLISH_LIMIT)
            .await
            .map(|_| ())
    }

    /// A subscription to the project's channel, on its own connection (subscribers cannot
    /// share the multiplexed one). A failure opens the breaker, as a failed call does.
    pub async fn subscribe(&self) -> Result<redis::aio::PubSubStream, String> {
        let attempt = async {
            let mut pubsub = self.link.client().get_async_pubsub().await?;
            pubsub.subscribe(self.keys().events()).await?;
            Ok::<_, redis::RedisError>(pubsub.into_on_message())
        };
        // Connecting costs a round trip or two more than a call: allow a little more.
        let limit = self.link.timeout() * 5 + Duration::from_millis(50);
        let result = match tokio::time::timeout(limit, attempt).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} ms", limit.as_millis())),
        };
        if let Err(reason) = &result {
            self.link.failed(reason);
        }
        result
    }
}
