//! The read cache: values read from SQLite, stored in Redis tagged with the store revision they
//! were read at. A value is served only when its tag equals the revision SQLite has now, so
//! after any commit every older entry is a miss: a stale or flushed cache costs a SQLite read,
//! never a wrong answer. Reads are bounded by the link's timeout; writes go on in the
//! background and never hold up the caller.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::keys::Keys;
use super::link::RedisLink;

/// How long an entry lives unrefreshed: projects that stop leave nothing behind for long.
const ENTRY_TTL: Duration = Duration::from_secs(3600);
/// The bound on a background cache write (it keeps no one waiting).
const WRITE_LIMIT: Duration = Duration::from_millis(250);

/// The stored form.
#[derive(Serialize, serde::Deserialize)]
struct Tagged<T> {
    rev: i64,
    value: T,
}

/// One project's cache.
#[derive(Clone, Debug)]
pub struct Cache {
    link: RedisLink,
    keys: Keys,
}

impl Cache {
    pub fn new(link: RedisLink, keys: Keys) -> Cache {
        Cache { link, keys }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The value under `key` if it was stored at revision `rev`; `None` on a miss, a stale
    /// entry, a timeout or an error.
    pub async fn get<T: DeserializeOwned>(&self, key: &str, rev: i64) -> Option<T> {
        let raw: Option<Vec<u8>> = self.link.query(redis::cmd("GET").arg(key)).await.ok()?;
        let tagged: Tagged<T> = serde_json::from_slice(&raw?).ok()?;
        (tagged.rev == rev).then_some(tagged.value)
    }

    /// Stores `value` as read at revision `rev`, waiting for Redis at most its write bound.
    pub async fn put<T: Serialize>(&self, key: &str, rev: i64, value: &T) {
        let Ok(json) = serde_json::to_vec(&Tagged { rev, value }) else {
            return;
        };
        let mut cmd = redis::cmd("SET");
        cmd.arg(key)
            .arg(json)
            .arg("PX")
            .arg(ENTRY_TTL.as_millis() as u64);
        let _ = self.link.query_within::<()>(&cmd, WRITE_LIMIT).await;
    }

    /// [`Self::put`] on its own task: the caller goes on at once.
    pub fn put_later<T: Serialize + Send + Sync + 'static>(&self, key: String, rev: i64, value: T) {
        let cache = self.clone();
        tokio::spawn(async move { cache.put(&key, rev, &value).await });
    }
}
