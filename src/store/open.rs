//! Opening the database: pragmas, embedded migrations, the writer actor and the read pool.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, SqliteConnection};

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
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| std::io::Error::from(errno))
    })
    .await
    .map_err(|e| StoreError::Io(format!("migration lock: {e}")))?;
    locked.map_err(|e| StoreError::Io(format!("cannot lock {} for migration: {e}", path.display())))
}

/// Opens (creating if needed) the database at `path` and upgrades its schema; returns the
/// connection that did it.
pub async fn migrate(path: &Path) -> Result<SqliteConnection, StoreError> {
    // Two processes opening a new database at once would both create the schema; the first
    // holds this lock while it migrates, the second then finds nothing to do.
    let _migrating = migration_lock(path).await?;
    let mut conn = connect_options(path)?
        .create_if_missing(true)
        .connect()
        .await?;
    // `run_direct` rather than `run`: the future of `run(&mut conn)` is not `Send` for every
    // lifetime (sqlx's `Acquire` quirk), which would make `open` unspawnable.
    migrations().run_direct(None, &mut conn, false).await?;
    Ok(conn)
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

    /// Waits for pending writes to be committed and closes the connections.
    pub async fn close(self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
