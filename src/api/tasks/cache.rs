//! The answers of `GET /api/tasks/{id}` at one revision of the store: a client polling a task
//! (a script waiting for it, a dashboard without its socket) costs a read of the revision
//! instead of the task's rows and their JSON, until something is committed. The revision reads
//! are grouped, as commits are: callers that come while one read is under way share the next,
//! so many clients cost one read a round trip of the read pool rather than one each.
//!
//! Invariants: an answer is kept only under the revision it was read at (the revision was the
//! same before and after the read, and every commit, from any process, bumps it), and only the
//! newest revision's answers are kept, so a hit is exactly what a read would give; and a
//! caller's revision comes from a read that started after it asked, so an answer never
//! predates a commit the caller saw acknowledged.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use crate::store::{StoreError, summary};

/// Answers kept at most (a revision rarely sees this many different tasks asked for).
const MAX_ANSWERS: usize = 1024;

/// Callers waiting for a revision, at most (past it they wait to be queued).
const MAX_WAITING: usize = 4096;

type Reply = oneshot::Sender<Result<i64, String>>;

/// The cached answers and the grouped revision reads.
#[derive(Debug)]
pub struct TaskCache {
    at: Mutex<Answers>,
    revisions: mpsc::Sender<Reply>,
}

impl TaskCache {
    /// Starts the revision reader on `pool` (it stops when the cache is dropped).
    pub fn new(pool: SqlitePool) -> TaskCache {
        let (revisions, asked) = mpsc::channel(MAX_WAITING);
        tokio::spawn(read_revisions(pool, asked));
        TaskCache {
            at: Mutex::new(Answers::default()),
            revisions,
        }
    }

    /// The store's revision, read after this call began.
    pub async fn revision(&self) -> Result<i64, StoreError> {
        let gone = || StoreError::Corrupt("the revision reader stopped".into());
        let (reply, answer) = oneshot::channel();
        self.revisions.send(reply).await.map_err(|_| gone())?;
        answer
            .await
            .map_err(|_| gone())?
            .map_err(StoreError::Corrupt)
    }

    /// The body of `asked` at `revision`, if it is kept.
    pub fn get(&self, revision: i64, asked: &str) -> Option<Bytes> {
        self.at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(revision, asked)
    }

    /// Keeps `body`, read at `revision`.
    pub fn put(&self, revision: i64, asked: &str, body: Bytes) {
        self.at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .put(revision, asked, body);
    }
}

/// One read for everyone who asked before it started.
async fn read_revisions(pool: SqlitePool, mut asked: mpsc::Receiver<Reply>) {
    let mut group = Vec::new();
    while asked.recv_many(&mut group, MAX_WAITING).await > 0 {
        let revision = summary::revision(&pool).await.map_err(|e| e.to_string());
        for reply in group.drain(..) {
            // A caller that gave up (its client went away) is no matter.
            let _ = reply.send(revision.clone());
        }
    }
}

/// `200` bodies by the id as asked (a prefix resolves the same way until the next commit).
#[derive(Debug, Default)]
struct Answers {
    revision: i64,
    bodies: HashMap<String, Bytes>,
}

impl Answers {
    fn get(&self, revision: i64, asked: &str) -> Option<Bytes> {
        if self.revision != revision {
            return None;
        }
        self.bodies.get(asked).cloned()
    }

    /// A newer revision drops every older answer; an answer of an older one is not kept.
    fn put(&mut self, revision: i64, asked: &str, body: Bytes) {
        if revision > self.revision {
            self.revision = revision;
            self.bodies.clear();
        }
        if revision == self.revision && self.bodies.len() < MAX_ANSWERS {
            self.bodies.insert(asked.to_string(), body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_holds_for_its_revision_only() {
        let mut answers = Answers::default();
        answers.put(3, "t-1", Bytes::from_static(b"three"));
        assert_eq!(answers.get(3, "t-1").as_deref(), Some(&b"three"[..]));
        assert_eq!(answers.get(4, "t-1"), None);
        assert_eq!(answers.get(3, "t-2"), None);
        answers.put(5, "t-2", Bytes::from_static(b"five"));
        answers.put(4, "t-1", Bytes::from_static(b"four"));
        assert_eq!(answers.get(5, "t-1"), None);
        assert_eq!(answers.get(4, "t-1"), None);
        assert_eq!(answers.get(5, "t-2").as_deref(), Some(&b"five"[..]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_caller_sees_the_commits_made_before_it_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::Store::open(&dir.path().join("bosun.db"))
            .await
            .expect("store");
        let cache = std::sync::Arc::new(TaskCache::new(store.reader.clone()));
        for _ in 0..5 {
            let before = summary::revision(&store.reader).await.expect("revision");
            store.writer.write(Vec::new()).await.expect("commit");
            // Many at once: they share reads, and none is older than the commit.
            let callers: Vec<_> = (0..50)
                .map(|_| {
                    let cache = cache.clone();
                    tokio::spawn(async move { cache.revision().await })
                })
                .collect();
            for caller in callers {
                let seen = caller.await.expect("join").expect("revision");
                assert!(seen > before, "{seen} after a commit past {before}");
            }
        }
    }
}
