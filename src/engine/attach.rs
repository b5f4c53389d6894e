//! A handle on the engine another process runs for this project (a background `bosun run`, or
//! a first interface): a second interface attaches to it instead of being refused. Reads go to
//! the store as before; submissions and cancels are committed to the store and the engine is
//! nudged, as the CLI verbs do; changes arrive through [`crate::mirror::feed`] — Redis within
//! milliseconds, SQLite within a second without it.

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::cancel::{CancelOutcome, request_cancel};
use super::handle::EngineHandle;
use super::submit::{SubmitError, prepare, queue};
use super::wake::nudge;
use crate::config::{ProjectPaths, Settings};
use crate::mirror::{FeedItem, FeedStore, Mirror, follow};
use crate::protocol::{SubmitRequest, TaskId};
use crate::store::{Store, StoreError, summary};

/// Keeps the feed of an attached handle running; dropping it stops the feed.
#[derive(Debug)]
pub struct Attachment {
    stop: CancellationToken,
}

impl Drop for Attachment {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl EngineHandle {
    /// A handle that runs nothing itself: the engine of another process does the work.
    pub async fn attach(
        paths: ProjectPaths,
        settings: &Settings,
        store: Store,
    ) -> Result<(EngineHandle, Attachment), StoreError> {
        let mirror = Mirror::new(
            settings.cache.redis_url.as_deref(),
            &paths.root,
            settings.cache.timeout,
        )
        .map_err(StoreError::Corrupt)?;
        let stop = CancellationToken::new();
        let from = summary::last_seq(&store.reader).await?;
        let feed_store = FeedStore {
            pool: store.reader.clone(),
            database: paths.database(),
        };
        let mut feed = follow(feed_store, mirror.clone(), from, stop.clone());
        let changes = watch::Sender::new(0u64);
        let receiver = changes.subscribe();
        tokio::spawn(async move {
            while let Some(item) = feed.recv().await {
                match item {
                    FeedItem::Event(_) => changes.send_modify(|v| *v = v.wrapping_add(1)),
                    FeedItem::Source { live: true, .. } => {
                        tracing::info!("following the engine live through Redis");
                    }
                    FeedItem::Source {
                        live: false,
                        detail,
                    } => {
                        tracing::info!("following the engine through the store ({detail})");
                    }
                }
            }
        });
        let mut handle = EngineHandle::new_attached(store, paths, receiver, mirror);
        handle.programs = super::submit::programs(&handle.paths, settings);
        Ok((handle, Attachment { stop }))
    }

    /// Queues a task in the store and nudges the engine.
    pub(super) async fn submit_attached(&self, request: SubmitRequest) -> Result<TaskId, String> {
        let describe = |e: SubmitError| e.to_string();
        let task = prepare(&self.paths, &self.programs, &request).map_err(describe)?;
        let id = queue(&self.store, task).await.map_err(describe)?;
        nudge(&self.paths);
        Ok(id)
    }

    /// Cancels in the store (a queued task at once, a running one by its engine); true when
    /// something changed.
    pub(super) async fn cancel_attached(&self, id: TaskId) -> Result<bool, String> {
        let outcome = request_cancel(&self.store, &id)
            .await
            .map_err(|e| e.to_string())?;
        nudge(&self.paths);
        Ok(!matches!(outcome, CancelOutcome::AlreadyFinished(_)))
    }
}
