//! The audit writer actor: the engine's way to record without ever waiting on the disk.
//!
//! [`AuditHandle::record`] only queues (bounded); the actor drains everything queued and writes
//! it with one [`AuditLog::append`] on the blocking pool, so a burst of records shares one
//! `fsync`. If the queue is full or the actor is gone, the record is dropped with a warning: the
//! engine's progress matters more than a complete log, and the warning says so. A failing disk
//! is reported once per streak of failures (with how many records were lost once it recovers),
//! and the actor keeps running. It stops when every handle has been dropped.

use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::AuditLog;
use super::record::AT;

/// Records that may wait for the writer before new ones are dropped.
const QUEUE: usize = 4096;

enum Message {
    Record(Map<String, Value>),
    /// Answered once everything queued before it has been appended (or has failed to be).
    Flush(oneshot::Sender<()>),
}

/// A cloneable way to add records to the audit log from async code.
#[derive(Debug, Clone)]
pub struct AuditHandle {
    tx: mpsc::Sender<Message>,
}

impl AuditHandle {
    /// Starts the writer for `log` on the current Tokio runtime. The task ends when every handle
    /// has been dropped and the queue is written.
    pub fn spawn(log: AuditLog) -> (AuditHandle, JoinHandle<()>) {
        AuditHandle::spawn_with_queue(log, QUEUE)
    }

    fn spawn_with_queue(log: AuditLog, queue: usize) -> (AuditHandle, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(queue);
        let actor = AuditActor {
            log,
            rx,
            failing: false,
            lost: 0,
        };
        (AuditHandle { tx }, tokio::spawn(actor.run()))
    }

    /// Queues one record (a JSON object with a `kind`) without waiting. `at` is stamped now if
    /// absent, so it says when the thing happened rather than when it reached the disk.
    pub fn record(&self, mut entry: Map<String, Value>) {
        entry
            .entry(AT)
            .or_insert_with(|| Value::from(crate::time::now_rfc3339()));
        let error = match self.tx.try_send(Message::Record(entry)) {
            Ok(()) => return,
            Err(error) => error,
        };
        let why = match error {
            mpsc::error::TrySendError::Full(_) => "audit log queue is full",
            mpsc::error::TrySendError::Closed(_) => "audit log writer has stopped",
        };
        let kind = match error.into_inner() {
            Message::Record(entry) => entry.get("kind").cloned().unwrap_or_default(),
            Message::Flush(_) => Value::Null,
        };
        tracing::warn!(%kind, "{why}; this record is dropped");
    }

    /// Waits until every record queued before this call has been appended and synced (or its
    /// append has failed, which the actor reports).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            // An error here means the actor is gone, so there is nothing left to wait for.
            let _ = wait.await;
        }
    }
}

struct AuditActor {
    log: AuditLog,
    rx: mpsc::Receiver<Message>,
    /// The last append failed; the next failure is not reported again.
    failing: bool,
    /// Records lost during the current streak of failures.
    lost: usize,
}

impl AuditActor {
    async fn run(mut self) {
        let mut entries = Vec::new();
        let mut waiters = Vec::new();
        while let Some(first) = self.rx.recv().await {
            let mut next = Some(first);
            while let Some(message) = next {
                match message {
                    Message::Record(entry) => entries.push(entry),
                    Message::Flush(done) => waiters.push(done),
                }
                // Bounded, so a steady stream still gets written in batches.
                next = if entries.len() < QUEUE {
                    self.rx.try_recv().ok()
                } else {
                    None
                };
            }
            if !entries.is_empty() {
                self.write(std::mem::take(&mut entries)).await;
            }
            for done in waiters.drain(..) {
                // The flusher may have stopped waiting; nothing to do then.
                let _ = done.send(());
            }
        }
    }

    async fn write(&mut self, entries: Vec<Map<String, Value>>) {
        let count = entries.len();
        let log = self.log.clone();
        let outcome = tokio::task::spawn_blocking(move || log.append(&entries)).await;
        let error = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(format!("the append task failed: {e}")),
        };
        match error {
            None if self.failing => {
                tracing::info!(
                    path = %self.log.path().display(),
                    lost = self.lost,
                    "audit log is writable again; records were lost while it was not"
                );
                self.failing = false;
                self.lost = 0;
            }
            None => {}
            Some(error) => {
                self.lost += count;
                if !self.failing {
                    tracing::error!(
                        %error,
                        "cannot append to the audit log; records are dropped until it recovers"
                    );
                    self.failing = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(n: u64) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("kind".into(), json!("command"));
        map.insert("n".into(), json!(n));
        map
    }

    #[tokio::test]
    async fn records_reach_the_disk_in_order_by_flush() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        let (handle, task) = AuditHandle::spawn(log.clone());
        for n in 0..300 {
            handle.record(entry(n));
        }
        handle.flush().await;
        let report = super::super::verify(log.path()).expect("verify");
        assert_eq!(report.records, 300);
        assert!(report.is_intact(), "{:?}", report.problems);
        let text = std::fs::read_to_string(log.path()).expect("read");
        let ns: Vec<u64> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).expect("json")["n"]
                    .as_u64()
                    .expect("n")
            })
            .collect();
        assert_eq!(ns, (0..300).collect::<Vec<_>>());
        drop(handle);
        task.await
            .expect("the actor ends when the last handle is dropped");
    }

    #[tokio::test]
    async fn a_full_queue_drops_instead_of_blocking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        let (handle, _task) = AuditHandle::spawn_with_queue(log.clone(), 8);
        // The single-threaded test runtime does not run the actor until this task yields.
        for n in 0..20 {
            handle.record(entry(n));
        }
        handle.flush().await;
        assert_eq!(super::super::verify(log.path()).expect("verify").records, 8);
    }

    #[tokio::test]
    async fn keeps_running_after_the_disk_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("state");
        std::fs::write(&blocker, "a file where the folder should be").expect("file");
        let log = AuditLog::new(blocker.join("audit.jsonl"));
        let (handle, _task) = AuditHandle::spawn(log.clone());
        handle.record(entry(1));
        handle.flush().await;
        assert!(!log.path().exists());
        std::fs::remove_file(&blocker).expect("unblock");
        handle.record(entry(2));
        handle.flush().await;
        assert_eq!(super::super::verify(log.path()).expect("verify").records, 1);
    }
}
