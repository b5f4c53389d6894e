//! The answers of `GET /api/tasks/{id}` at one revision of the store: a client polling a task
//! (a script waiting for it, a dashboard without its socket) costs one read of the revision
//! instead of the task's rows and their JSON, until something is committed.
//!
//! Invariant: an answer is kept only under the revision it was read at (the revision was the
//! same before and after the read, and every commit, from any process, bumps it), and only
//! answers of the newest revision seen are kept; so a hit is exactly what a read would give.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Answers kept at most (a revision rarely sees this many different tasks asked for).
const MAX_ANSWERS: usize = 1024;

/// `200` bodies by the id as asked (a prefix resolves the same way until the next commit).
#[derive(Debug, Default)]
pub struct TaskCache {
    at: Mutex<Answers>,
}

#[derive(Debug, Default)]
struct Answers {
    revision: i64,
    bodies: HashMap<String, Bytes>,
}

impl TaskCache {
    /// The body of `asked` at `revision`, if it is kept.
    pub fn get(&self, revision: i64, asked: &str) -> Option<Bytes> {
        let at = self.at.lock().unwrap_or_else(|e| e.into_inner());
        if at.revision != revision {
            return None;
        }
        at.bodies.get(asked).cloned()
    }

    /// Keeps `body`, read at `revision`; a newer revision drops every older answer.
    pub fn put(&self, revision: i64, asked: &str, body: Bytes) {
        let mut at = self.at.lock().unwrap_or_else(|e| e.into_inner());
        if revision > at.revision {
            at.revision = revision;
            at.bodies.clear();
        }
        if revision == at.revision && at.bodies.len() < MAX_ANSWERS {
            at.bodies.insert(asked.to_string(), body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_holds_for_its_revision_only() {
        let cache = TaskCache::default();
        cache.put(3, "t-1", Bytes::from_static(b"three"));
        assert_eq!(cache.get(3, "t-1").as_deref(), Some(&b"three"[..]));
        assert_eq!(cache.get(4, "t-1"), None);
        assert_eq!(cache.get(3, "t-2"), None);
        // A newer revision clears the older answers; a late older one is not kept.
        cache.put(5, "t-2", Bytes::from_static(b"five"));
        cache.put(4, "t-1", Bytes::from_static(b"four"));
        assert_eq!(cache.get(5, "t-1"), None);
        assert_eq!(cache.get(4, "t-1"), None);
        assert_eq!(cache.get(5, "t-2").as_deref(), Some(&b"five"[..]));
    }
}
