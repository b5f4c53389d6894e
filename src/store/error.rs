//! What can go wrong in the store.

/// A store failure, with enough context to act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("cannot upgrade the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A conditional change found the row no longer in the expected state (e.g. a task that
    /// another process cancelled just before it was claimed).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Io(String),
    #[error("the store's writer has stopped")]
    WriterGone,
    /// The disk holding the database has no space left: nothing of the change was written.
    #[error("the disk is full, nothing was saved ({0}); free some space and try again")]
    DiskFull(String),
}
