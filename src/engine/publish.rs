//! The engine's side of the Redis mirror: publishes every committed event on the project's
//! channel in `seq` order — its own, and those other processes committed (a `bosun submit`),
//! read from the store — and writes the cache through: the views of tasks events touched within
//! 100 ms, the first-frame snapshot at most once a second. While Redis is down it skips
//! publishing (subscribers fill the gap from SQLite), probes with backoff, and refills the cache
//! when Redis answers again. It runs beside the scheduler and never holds it up.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::queries::{read_snapshot, read_task_tagged};
use crate::mirror::{LinkError, Mirror};
use crate::protocol::{EventEnvelope, TaskId};
use crate::store::{Store, StoreError, summary};

/// How long events may gather before the views they touched are written to the cache.
const TASKS_AFTER: Duration = Duration::from_millis(100);
/// The shortest time between two snapshot writes.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(1);
/// Events read back from the store at a time.
const CHUNK: i64 = 500;
/// The recent events a cached snapshot carries (what the interface asks for).
pub const SNAPSHOT_RECENT: i64 = 200;

pub(super) struct Publisher {
    pub mirror: Mirror,
    /// Publish every event after this one (the newest when the engine took its lease).
    pub after: i64,
    pub store: Store,
    pub events: broadcast::Receiver<EventEnvelope>,
    pub changes: watch::Receiver<u64>,
}

struct State {
    mirror: Mirror,
    store: Store,
    cursor: i64,
    touched: BTreeSet<TaskId>,
    tasks_due: Option<Instant>,
    snapshot_dirty: bool,
    snapshot_next: Instant,
}

impl Publisher {
    /// Runs until `stop`, then publishes what the store holds beyond what was published.
    pub async fn run(mut self, stop: CancellationToken) {
        // Events committed before the publisher got here (a submission while the engine was
        // starting, recovery's own) go out first.
        let mut state = State {
            mirror: self.mirror,
            store: self.store,
            cursor: self.after,
            touched: BTreeSet::new(),
            tasks_due: None,
            snapshot_dirty: true,
            snapshot_next: Instant::now(),
        };
        if let Err(e) = state.catch_up().await {
            tracing::warn!(error = %e, "publishing to Redis: could not read the store");
        }
        loop {
            // Idle (nothing to write, Redis up) it sleeps until an event: no periodic wake-up.
            let next = state.next_deadline();
            let result = tokio::select! {
                () = stop.cancelled() => break,
                event = self.events.recv() => match event {
                    Ok(event) => state.on_event(event).await,
                    Err(broadcast::error::RecvError::Lagged(_)) => state.catch_up().await,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                Ok(()) = self.changes.changed() => state.catch_up().await,
                () = sleep_until_some(next) => state.on_tick().await,
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "publishing to Redis: could not read the store");
            }
        }
        let _ = state.catch_up().await;
    }
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl State {
    /// When there is next something to do: a probe while Redis is down, views or the snapshot
    /// to write.
    fn next_deadline(&self) -> Option<Instant> {
        if let Some(retry) = self.mirror.link.retry_at() {
            return Some(Instant::from_std(retry));
        }
        let snapshot = self.snapshot_dirty.then_some(self.snapshot_next);
        match (self.tasks_due, snapshot) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    async fn on_event(&mut self, event: EventEnvelope) -> Result<(), StoreError> {
        if event.seq <= self.cursor {
            return Ok(());
        }
        if event.seq > self.cursor + 1 {
            // Someone else committed in between: publish from the store, in order.
            return self.catch_up().await;
        }
        self.publish(event).await;
        Ok(())
    }

    /// Publishes every stored event after the cursor.
    async fn catch_up(&mut self) -> Result<(), StoreError> {
        loop {
            let events = summary::events_since(&self.store.reader, self.cursor, CHUNK).await?;
            let more = events.len() as i64 == CHUNK;
            for event in events {
                self.publish(event).await;
            }
            if !more {
                return Ok(());
            }
        }
    }

    async fn publish(&mut self, event: EventEnvelope) {
        self.cursor = event.seq;
        self.touched.insert(event.event.task_id().clone());
        self.snapshot_dirty = true;
        self.tasks_due
            .get_or_insert_with(|| Instant::now() + TASKS_AFTER);
        match self.mirror.publish(&event).await {
            Ok(()) | Err(LinkError::Down) => {}
            Err(LinkError::Failed(e)) => {
                tracing::debug!(seq = event.seq, error = %e, "event not published");
            }
        }
    }

    async fn on_tick(&mut self) -> Result<(), StoreError> {
        let now = Instant::now();
        if self.mirror.link.is_down() {
            let due = self
                .mirror
                .link
                .retry_at()
                .is_some_and(|at| at <= now.into_std());
            if due && self.mirror.link.ping().await {
                // Back: whatever was cached may be gone (a restart, a FLUSHALL); refill it.
                self.snapshot_dirty = true;
                self.snapshot_next = now;
            }
            return Ok(());
        }
        if self.tasks_due.is_some_and(|at| at <= now) {
            self.tasks_due = None;
            for id in std::mem::take(&mut self.touched) {
                if let Some((rev, view)) = read_task_tagged(&self.store.reader, &id).await? {
                    self.mirror
                        .cache
                        .put(&self.mirror.keys().task(&id), rev, &view)
                        .await;
                }
            }
        }
        if self.snapshot_dirty && self.snapshot_next <= now {
            self.snapshot_dirty = false;
            self.snapshot_next = now + SNAPSHOT_EVERY;
            let (rev, snapshot) = read_snapshot(&self.store.reader, SNAPSHOT_RECENT).await?;
            if let Some(rev) = rev {
                let key = self
                    .mirror
                    .keys()
                    .snapshot(SNAPSHOT_RECENT, &crate::time::utc_day());
                self.mirror.cache.put(&key, rev, &snapshot).await;
            } else {
                // The store changed while it was read: try again at the next tick.
                self.snapshot_dirty = true;
            }
        }
        Ok(())
    }
}
