//! The store's single writer: an actor that owns the one write connection and commits
//! everything sent to it in batches (group commit, see [`super::batch`]).
//!
//! Invariants: a request is acknowledged only after its batch is durable; events are broadcast
//! only after their commit. When the disk is full, a writer told to wait for space (the
//! engine's, see [`WriterHandle::wait_for_space`]) fails nothing: it rolls the batch back,
//! marks the store full ([`WriterHandle::disk_full`]) and tries the same batch again with a
//! growing pause until it commits, then clears the mark; its callers simply wait, so nothing
//! acknowledged is lost and nothing is half-written. Told to stop waiting (the engine stopping,
//! the store closing), it tries once more and then fails the batch, unacknowledged. Any other
//! writer (a CLI verb) fails a batch the full disk refuses at once, with
//! [`StoreError::DiskFull`].

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Connection, SqliteConnection};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::batch::{Request, Settled, commit_batch, fail_disk_full};
use super::{StoreError, WriteOp};
use crate::protocol::EventEnvelope;

/// Most requests folded into one transaction.
const MAX_BATCH: usize = 512;
/// The first pause before a batch the full disk refused is tried again; it doubles up to
/// [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

enum Msg {
    Write(Request),
    Close(oneshot::Sender<()>),
}

/// Sends changes to the writer actor and subscribes to the events it commits.
#[derive(Clone, Debug)]
pub struct WriterHandle {
    tx: mpsc::Sender<Msg>,
    events: broadcast::Sender<EventEnvelope>,
    /// Why the disk is full, while a batch waits for space.
    full: watch::Receiver<Option<String>>,
    /// Whether a batch the full disk refuses waits for space (true) or fails (false).
    patient: Arc<watch::Sender<bool>>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("writer message")
    }
}

impl WriterHandle {
    /// Starts the actor on its own task, owning `conn`. It does not wait for space until
    /// told to ([`WriterHandle::wait_for_space`]).
    pub fn spawn(conn: SqliteConnection) -> WriterHandle {
        let (tx, rx) = mpsc::channel(4096);
        let (events, _) = broadcast::channel(4096);
        let (full_tx, full) = watch::channel(None);
        let (patient, patience) = watch::channel(false);
        let actor = Actor {
            conn,
            events: events.clone(),
            full: full_tx,
            patience,
        };
        tokio::spawn(actor.run(rx));
        WriterHandle {
            tx,
            events,
            full,
            patient: Arc::new(patient),
        }
    }

    /// Commits `ops` atomically; returns once they are durable.
    pub async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Msg::Write(Request { ops, ack }))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        done.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Queues `ops` behind everything sent before, without waiting for their commit: they go
    /// into the next batch, so a best-effort record (an agent's transcript line, the tool call
    /// it is making) shares the commit of the decision that follows it instead of costing a
    /// flush of its own. Order is kept; whether it was saved is not reported.
    pub async fn enqueue(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        // Nobody waits on the acknowledgement: the writer's send to it is a no-op.
        let (ack, _) = oneshot::channel();
        self.tx
            .send(Msg::Write(Request { ops, ack }))
            .await
            .map_err(|_| StoreError::WriterGone)
    }

    /// Events committed from now on, in sequence order.
    pub fn subscribe(&self) -> broadcast::Receiver<EventEnvelope> {
        self.events.subscribe()
    }

    /// From now on, a batch the full disk refuses waits for space, however long, instead of
    /// failing: for the engine, whose callers are runners and the scheduler.
    pub fn wait_for_space(&self) {
        self.patient.send_replace(true);
    }

    /// From now on, a batch the full disk refuses fails (after one more try, for one that is
    /// waiting now), so that a stopping engine is not held up by a full disk.
    pub fn stop_waiting(&self) {
        self.patient.send_replace(false);
    }

    /// Why the disk is full, while writes wait for space; `None` otherwise.
    pub fn disk_full(&self) -> Option<String> {
        self.full.borrow().clone()
    }

    /// The disk-full mark, to wait on its changes.
    pub fn watch_disk_full(&self) -> watch::Receiver<Option<String>> {
        self.full.clone()
    }

    /// Commits what is pending, then stops the actor and closes its connection. A batch
    /// waiting for space is tried once more and then failed, unacknowledged.
    pub async fn close(&self) {
        self.stop_waiting();
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Close(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

/// Commits `ops` atomically on `conn`, exactly as the actor would commit a batch of one
/// request; for a one-shot command that owns its connection ([`super::OneShot`]). A full disk
/// fails it at once.
pub(super) async fn write_once(
    conn: &mut SqliteConnection,
    ops: Vec<WriteOp>,
) -> Result<(), StoreError> {
    let (ack, done) = oneshot::channel();
    // Nobody subscribes: the events are in the log, and the engine reads them from there.
    let (events, _) = broadcast::channel(1);
    if let Settled::DiskFull(batch, reason) =
        commit_batch(conn, vec![Request { ops, ack }], &events).await
    {
        fail_disk_full(batch, &reason);
    }
    done.await.map_err(|_| StoreError::WriterGone)?
}

/// The writer's own state: its connection, where committed events go, the disk-full mark it
/// sets, and whether it is to wait for space.
struct Actor {
    conn: SqliteConnection,
    events: broadcast::Sender<EventEnvelope>,
    full: watch::Sender<Option<String>>,
    patience: watch::Receiver<bool>,
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        while let Some(first) = rx.recv().await {
            let mut batch = Vec::new();
            let mut close = None;
            match first {
                Msg::Write(r) => batch.push(r),
                Msg::Close(ack) => close = Some(ack),
            }
            while close.is_none() && batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(Msg::Write(r)) => batch.push(r),
                    Ok(Msg::Close(ack)) => close = Some(ack),
                    Err(_) => break,
                }
            }
            if !batch.is_empty() {
                self.commit(batch).await;
            }
            if let Some(ack) = close {
                let _ = self.conn.close().await;
                let _ = ack.send(());
                return;
            }
        }
    }

    /// Commits `batch`; while the disk is full and the writer is patient, tries it again with
    /// a growing pause, the store marked full meanwhile.
    async fn commit(&mut self, mut batch: Vec<Request>) {
        let mut pause = FIRST_PAUSE;
        loop {
            let reason = match commit_batch(&mut self.conn, batch, &self.events).await {
                Settled::Answered => break,
                Settled::DiskFull(refused, reason) => {
                    batch = refused;
                    reason
                }
            };
            // Every handle gone counts as told to stop waiting.
            let patient = *self.patience.borrow() && self.patience.has_changed().is_ok();
            if !patient {
                fail_disk_full(batch, &reason);
                return;
            }
            if self.full.borrow().is_none() {
                tracing::error!(
                    %reason,
                    "the disk is full: the engine's writes wait for space, and no new task starts until it is freed"
                );
            }
            self.full.send_replace(Some(reason));
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                // Told to stop waiting: one more try, which fails the batch if the disk is
                // still full.
                _ = self.patience.wait_for(|patient| !*patient) => {}
            }
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
        if self.full.borrow().is_some() {
            self.full.send_replace(None);
            tracing::info!("space is free again: the writes that waited are saved");
        }
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
