//! Following a project's events from another process (`bosun tail`, an interface attached to a
//! running engine). Redis pub/sub brings each event within a millisecond; SQLite stays the
//! truth: every event is delivered exactly once and in `seq` order, because a message that skips
//! a number (or a reconnect) is answered by reading the missing events from the store. Without
//! Redis, or while it is down, the feed watches SQLite's `data_version` instead (a few times a
//! second); with Redis it still looks once a second, for events no engine published (a
//! `bosun submit` while no engine runs).

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use sqlx::SqlitePool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Mirror;
use crate::protocol::EventEnvelope;
use crate::store::{ChangeProbe, StoreError, summary};

/// How often SQLite is looked at while Redis carries the events.
const POLL_LIVE: Duration = Duration::from_secs(1);
/// How often SQLite is looked at without Redis.
const POLL_ALONE: Duration = Duration::from_millis(250);
/// Events read from SQLite at a time.
const CHUNK: i64 = 500;

/// What the feed delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    Event(EventEnvelope),
    /// How events arrive now: `true` through Redis, `false` by watching SQLite (with why).
    Source {
        live: bool,
        detail: String,
    },
}

/// Where the feed reads the truth.
#[derive(Debug, Clone)]
pub struct FeedStore {
    pub pool: SqlitePool,
    pub database: PathBuf,
}

/// Starts following events after `from_seq`; items arrive on the returned channel until
/// `stop` is cancelled or the receiver is dropped.
pub fn follow(
    store: FeedStore,
    mirror: Option<Mirror>,
    from_seq: i64,
    stop: CancellationToken,
) -> mpsc::Receiver<FeedItem> {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        let mut feed = Feed {
            store,
            mirror,
            cursor: from_seq,
            tx,
        };
        tokio::select! {
            () = stop.cancelled() => {}
            result = feed.run() => if let Err(e) = result {
                tracing::warn!(error = %e, "the event feed stopped");
            },
        }
    });
    rx
}

struct Feed {
    store: FeedStore,
    mirror: Option<Mirror>,
    cursor: i64,
    tx: mpsc::Sender<FeedItem>,
}

/// The receiver went away: stop quietly.
struct Gone;

impl Feed {
    async fn run(&mut self) -> Result<(), StoreError> {
        let mut probe = ChangeProbe::open(&self.store.database).await?;
        let mut announced: Option<bool> = None;
        loop {
            if self.catch_up().await?.is_err() {
                return Ok(());
            }
            let subscription = match &self.mirror {
                Some(mirror) if !mirror.link.is_down() => mirror.subscribe().await,
                Some(_) => Err("redis is down".to_string()),
                None => Err("redis is off".to_string()),
            };
            match subscription {
                Ok(stream) => {
                    if self.announce(&mut announced, true, "redis").await.is_err() {
                        return Ok(());
                    }
                    // Events published before the subscription took hold are in the store.
                    if self.catch_up().await?.is_err() {
                        return Ok(());
                    }
                    match self.live(stream, &mut probe).await? {
                        Ok(reason) => {
                            if let Some(m) = &self.mirror {
                                m.link.failed(&reason);
                            }
                            if self.announce(&mut announced, false, &reason).await.is_err() {
                                return Ok(());
                            }
                        }
                        Err(Gone) => return Ok(()),
                    }
                }
                Err(reason) => {
                    if self.announce(&mut announced, false, &reason).await.is_err() {
                        return Ok(());
                    }
                    if self.alone(&mut probe).await?.is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Takes events from Redis until the subscription ends; returns why it ended.
    async fn live(
        &mut self,
        mut stream: redis::aio::PubSubStream,
        probe: &mut ChangeProbe,
    ) -> Result<Result<String, Gone>, StoreError> {
        let mut poll = tokio::time::interval(POLL_LIVE);
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(message) = message else {
                        return Ok(Ok("the subscription was dropped".into()));
                    };
                    let Ok(payload) = message.get_payload::<Vec<u8>>() else { continue };
                    let Ok(envelope) = serde_json::from_slice::<EventEnvelope>(&payload) else {
                        continue;
                    };
                    let delivered = if envelope.seq == self.cursor + 1 {
                        self.deliver(envelope).await
                    } else if envelope.seq > self.cursor {
                        self.catch_up().await?
                    } else {
                        Ok(())
                    };
                    if delivered.is_err() {
                        return Ok(Err(Gone));
                    }
                }
                _ = poll.tick() => {
                    if probe.changed().await? && self.catch_up().await?.is_err() {
                        return Ok(Err(Gone));
                    }
                }
            }
        }
    }

    /// Watches SQLite until it is time to try Redis again (never, when Redis is off).
    async fn alone(&mut self, probe: &mut ChangeProbe) -> Result<Result<(), Gone>, StoreError> {
        let mut poll = tokio::time::interval(POLL_ALONE);
        loop {
            poll.tick().await;
            if probe.changed().await? && self.catch_up().await?.is_err() {
                return Ok(Err(Gone));
            }
            if let Some(mirror) = &self.mirror {
                let due = mirror
                    .link
                    .retry_at()
                    .is_none_or(|at| at <= std::time::Instant::now());
                if due && mirror.link.ping().await {
                    return Ok(Ok(()));
                }
            }
        }
    }

    /// Delivers every stored event after the cursor.
    async fn catch_up(&mut self) -> Result<Result<(), Gone>, StoreError> {
        loop {
            let events = summary::events_since(&self.store.pool, self.cursor, CHUNK).await?;
            let more = events.len() as i64 == CHUNK;
            for event in events {
                if self.deliver(event).await.is_err() {
                    return Ok(Err(Gone));
                }
            }
            if !more {
                return Ok(Ok(()));
            }
        }
    }

    async fn deliver(&mut self, event: EventEnvelope) -> Result<(), Gone> {
        self.cursor = event.seq;
        self.tx.send(FeedItem::Event(event)).await.map_err(|_| Gone)
    }

    async fn announce(
        &self,
        announced: &mut Option<bool>,
        live: bool,
        detail: &str,
    ) -> Result<(), Gone> {
        if *announced == Some(live) {
            return Ok(());
        }
        *announced = Some(live);
        let item = FeedItem::Source {
            live,
            detail: detail.to_string(),
        };
        self.tx.send(item).await.map_err(|_| Gone)
    }
}
