//! Noticing commits made by other connections, cheaply: `PRAGMA data_version` on a dedicated
//! read connection changes whenever any other connection commits (this process's writer or
//! another process such as `bosun submit`). Polling it costs microseconds.

use std::path::Path;

use sqlx::{ConnectOptions, SqliteConnection};

use super::StoreError;
use super::open::connect_options;

/// Tells whether the database changed since the last look.
pub struct ChangeProbe {
    conn: SqliteConnection,
    last: i64,
}

impl ChangeProbe {
    pub async fn open(path: &Path) -> Result<ChangeProbe, StoreError> {
        let mut conn = connect_options(path)?.read_only(true).connect().await?;
        let last = data_version(&mut conn).await?;
        Ok(ChangeProbe { conn, last })
    }

    /// True when another connection committed since the previous call.
    pub async fn changed(&mut self) -> Result<bool, StoreError> {
        let now = data_version(&mut self.conn).await?;
        let changed = now != self.last;
        self.last = now;
        Ok(changed)
    }
}

async fn data_version(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    let row: (i64,) = sqlx::query_as("PRAGMA data_version")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.0)
}
