//! Opening the database: pragmas, embedded migrations, the writer actor and the read pool.

use std::fs::File;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use super::{StoreError, WriterHandle};

/// The schema's migrations, compiled into the binary (no `sqlx::migrate!` macro: it would
/// compile SQLite a second time).
pub fn migrations() -> Migrator {
    let migration = |version: i64, name: &str, sql: &'static str| {
        Migration::new(
            version,
            name.to_string().into(),
            MigrationType::Simple,
            sqlx::SqlSafeStr::into_sql_str(sql),
            false,
        )
    };
    Migrator::with_migrations(vec![
        migration(1, "init", include_str!("migrations/0001_init.sql")),
        migration(2, "inbox", include_str!("migrations/0002_inbox.sql")),
        migration(3, "revision", include_str!("migrations/0003_revision.sql")),
        migration(
            4,
            "engine_lease",
            include_str!("migrations/0004_engine_lease.sql"),
        ),
        migration(5, "stderr", include_str!("migrations/0005_stderr.sql")),
        migration(6, "history", include_str!("migrations/0006_history.sql")),
        migration(
            7,
            "dismissed",
            include_str!("migrations/0007_dismissed.sql"),
        ),
        migration(
            8,
            "steps_finished",
            include_str!("migrations/0008_steps_finished.sql"),
        ),
        migration(9, "agent", include_str!("migrations/0009_agent.sql")),
        migration(
            10,
            "agent_tally",
            include_str!("migrations/0010_agent_tally.sql"),
        ),
        migration(
            11,
            "escalation_detail",
            include_str!("migrations/0011_escalation_detail.sql"),
        ),
        migration(
            12,
            "worktrees",
            include_str!("migrations/0012_worktrees.sql"),
        ),
        migration(
            13,
            "api_tokens",
            include_str!("migrations/0013_api_tokens.sql"),
        ),
    ])
}

/// An open store: the writer and the read pool.
#[derive(Clone, Debug)]
pub struct Store {
    pub reader: SqlitePool,
    pub writer: WriterHandle,
}

/// How every connection to the database at `path` is opened (WAL, `synchronous=FULL`, a busy
/// timeout, foreign keys); add `read_only` or `create_if_missing` as needed.
pub fn connect_options(path: &Path) -> Result<SqliteConnectOptions, StoreError> {
    let url = format!("sqlite://{}", path.display());
    Ok(SqliteConnectOptions::from_str(&url)?
        .journal_mode(SqliteJournalMode::Wal)
        // FULL is affordable with group commit (one fsync per batch) and survives power loss.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true))
}

/// An exclusive `flock` on `bosun.db.lock` beside the database, held while migrating.
async fn migration_lock(path: &Path) -> Result<Flock<File>, StoreError> {
    let lock_path = path.with_extension("db.lock");
    let locked = tokio::task::spawn_blocking(move || {
        let file = crate::config::private::private_file()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        crate::config::private::make_private(&file)?;
        Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| std::io::Error::from(errno))
    })
    .await
    .map_err(|e| StoreError::Io(format!("migration lock: {e}")))?;
    locked.map_err(|e| StoreError::Io(format!("cannot lock {} for migration: {e}", path.display())))
}

/// A fingerprint of the compiled-in migrations (their versions and checksums), kept in the
/// database's `PRAGMA user_version` once they have all been applied: a database stamped with
/// this binary's fingerprint needs no migrator run (which reads `_sqlx_migrations` and takes
/// the migration lock). Never 0, SQLite's value for a database nobody stamped.
fn schema_stamp(migrator: &Migrator) -> i32 {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for m in migrator.iter() {
        hash.update(m.version.to_le_bytes());
        hash.update(&m.checksum);
    }
    let digest = hash.finalize();
    let value = i32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]);
    (value & 0x7fff_ffff) | 1
}

/// Creates an empty database file with mode 0600 where there is none, for SQLite to open: it
/// would create it 0644 (less the umask), and gives the `-wal` and `-shm` files it makes
/// later the database file's mode. An empty file is an empty database to SQLite.
fn create_private_database(path: &Path) -> Result<(), StoreError> {
    let created = crate::config::private::private_file()
        .write(true)
        .create_new(true)
        .open(path);
    match created {
        Ok(file) => crate::config::private::make_private(&file)
            .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", path.display()))),
        // Another process made it first, or it was there: SQLite opens it as it is.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Io(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// Opens (creating if needed, mode 0600) the database at `path` and upgrades its schema;
/// returns the connection that did it.
pub async fn migrate(path: &Path) -> Result<SqliteConnection, StoreError> {
    let migrator = migrations();
    let stamp = schema_stamp(&migrator);
    if !path.exists() {
        create_private_database(path)?;
    }
    let mut conn = connect_options(path)?
        .create_if_missing(true)
        .connect()
        .await?;
    // Fast path: stamped by a binary with exactly these migrations, all applied.
    let (current,): (i32,) = sqlx::query_as("PRAGMA user_version")
        .fetch_one(&mut conn)
        .await?;
    if current == stamp {
        return Ok(conn);
    }
    // Two processes opening a new database at once would both create the schema; the first
    // holds this lock while it migrates, the second then finds nothing to do.
    let _migrating = migration_lock(path).await?;
    back_up_before_upgrade(path, &migrator, &mut conn).await?;
    // `run_direct` rather than `run`: the future of `run(&mut conn)` is not `Send` for every
    // lifetime (sqlx's `Acquire` quirk), which would make `open` unspawnable.
    migrator.run_direct(None, &mut conn, false).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA user_version = {stamp}"
    )))
    .execute(&mut conn)
    .await?;
    Ok(conn)
}

/// Takes a full backup before migrations are applied to a database that already has a schema:
/// an upgrade that goes wrong must not cost the user their history.
async fn back_up_before_upgrade(
    path: &Path,
    migrator: &Migrator,
    conn: &mut SqliteConnection,
) -> Result<(), StoreError> {
    let has_schema: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if has_schema.is_none() {
        return Ok(());
    }
    let (applied,): (Option<i64>,) =
        sqlx::query_as("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *conn)
            .await?;
    let newest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    if applied.unwrap_or(0) >= newest {
        return Ok(());
    }
    let db = path.to_path_buf();
    let taken =
        tokio::task::spawn_blocking(move || crate::backup::take::before_migration(&db)).await;
    match taken {
        Ok(Ok(outcome)) => {
            if let crate::backup::take::Outcome::Taken(t) = outcome {
                tracing::info!(backup = %t.backup.name, "backed up the database before upgrading its schema");
            }
            Ok(())
        }
        Ok(Err(e)) => Err(StoreError::Io(format!(
            "the schema of {} was not upgraded: the backup before the upgrade failed: {e}",
            path.display()
        ))),
        Err(e) => Err(StoreError::Io(format!(
            "the backup before the upgrade stopped: {e}"
        ))),
    }
}

/// The WAL size past which a one-shot writer with no engine to share the database checkpoints
/// and truncates it before closing (SQLite's own auto-checkpoint size, 1000 pages).
const ONE_SHOT_CHECKPOINT_AT: u64 = 4 * 1024 * 1024;

/// One write connection for a one-shot command (`bosun submit`): no read pool, no writer actor
/// and so no threads beyond the connection's own. Writes go through the same batch code as the
/// writer actor and are durable (WAL, `synchronous=FULL`) when [`OneShot::write`] returns.
///
/// Closing does not checkpoint: a checkpoint costs an `fsync` of the database file, the
/// dominant cost of a submission after the commit's own. The WAL is checkpointed and truncated
/// only once it has grown past [`ONE_SHOT_CHECKPOINT_AT`] (see [`OneShot::close`]).
pub struct OneShot {
    conn: SqliteConnection,
    wal: std::path::PathBuf,
}

impl OneShot {
    /// Opens (creating if needed) the database at `path`, upgrading its schema if needed.
    pub async fn open(path: &Path) -> Result<OneShot, StoreError> {
        let mut conn = migrate(path).await?;
        {
            let mut handle = conn.lock_handle().await?;
            let db = handle.as_raw_handle().as_ptr();
            // SAFETY: `db` is the live handle of the connection locked above; this option
            // takes an int and a nullable int pointer, as SQLite documents.
            unsafe {
                libsqlite3_sys::sqlite3_db_config(
                    db,
                    libsqlite3_sys::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                    1 as std::ffi::c_int,
                    std::ptr::null_mut::<std::ffi::c_int>(),
                );
            }
        }
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        Ok(OneShot {
            conn,
            wal: wal.into(),
        })
    }

    /// Commits `ops` atomically; returns once they are durable.
    pub async fn write(&mut self, ops: Vec<super::WriteOp>) -> Result<(), StoreError> {
        super::writer::write_once(&mut self.conn, ops).await
    }

    /// Closes the connection. With `tidy` (no engine has the database open to checkpoint it),
    /// a WAL past [`ONE_SHOT_CHECKPOINT_AT`] is first checkpointed and truncated, so that it
    /// stays small for the processes that open it next.
    pub async fn close(mut self, tidy: bool) {
        let large = std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > ONE_SHOT_CHECKPOINT_AT);
        if tidy && large {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut self.conn)
                .await;
        }
        let _ = self.conn.close().await;
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and upgrades its schema.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = migrate(path).await?;
        let writer = WriterHandle::spawn(conn);
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(0)
            .connect_with(connect_options(path)?.read_only(true))
            .await?;
        Ok(Store { reader, writer })
    }

    /// Opens a database for reading only, failing if it does not exist.
    pub async fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Corrupt(format!(
                "no database at {} (nothing has run in this project yet)",
                path.display()
            )));
        }
        Self::open(path).await
    }

    /// Runs SQLite's quick integrity check.
    pub async fn quick_check(&self) -> Result<String, StoreError> {
        let row: (String,) = sqlx::query_as("PRAGMA quick_check")
            .fetch_one(&self.reader)
            .await?;
        Ok(row.0)
    }

    /// Waits for pending writes to be committed and closes the connections, the readers
    /// first: the last connection to close checkpoints the WAL and removes it, which only a
    /// connection that may write can do. Closed the other way, the WAL was left behind and
    /// grew with every process, and each opening read all of it again.
    pub async fn close(self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
