//! Noticing commits made by other connections, cheaply: `PRAGMA data_version` on a dedicated
//! read connection changes whenever any other connection commits (this process's writer or
//! another process such as `bosun submit`). Polling it costs microseconds. A commit that did not
//! go through a store writer (the engine lease's renewal, every few seconds) leaves the store's
//! revision as it was, and does not count as a change.

use std::path::Path;

use sqlx::{ConnectOptions, SqliteConnection};

use super::StoreError;
use super::open::connect_options;

/// Tells whether the database changed since the last look.
pub struct ChangeProbe {
    conn: SqliteConnection,
    last: i64,
    revision: i64,
}

impl ChangeProbe {
    pub async fn open(path: &Path) -> Result<ChangeProbe, StoreError> {
        let mut conn = connect_options(path)?.read_only(true).connect().await?;
        let last = data_version(&mut conn).await?;
        let revision = revision(&mut conn).await?;
        Ok(ChangeProbe {
            conn,
            last,
            revision,
        })
    }

    /// Closes the connection and waits for it: dropped instead, it closes on its worker thread
    /// whenever that gets to it, possibly after the store's writer — and a read-only
    /// connection closing last cannot checkpoint the WAL and remove it, nor can a writable one
    /// that closes while it is still open.
    pub async fn close(self) {
        use sqlx::Connection;
        let _ = self.conn.close().await;
    }

    /// True when another connection committed a change to the store's data since the
    /// previous call.
    pub async fn changed(&mut self) -> Result<bool, StoreError> {
        let now = data_version(&mut self.conn).await?;
        if now == self.last {
            return Ok(false);
        }
        self.last = now;
        let revision = revision(&mut self.conn).await?;
        let changed = revision != self.revision;
        self.revision = revision;
        Ok(changed)
    }
}

async fn data_version(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    let row: (i64,) = sqlx::query_as("PRAGMA data_version")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.0)
}

async fn revision(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    let row: (i64,) = sqlx::query_as("SELECT value FROM revision WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.0)
}
