//! The durable store: SQLite in WAL mode at `.bosun/state/bosun.db` (the source of truth).
//!
//! One writer connection, owned by the [`WriterHandle`]'s actor, batches every change into one
//! transaction per batch (group commit); readers use a separate read-only pool, so reads never
//! wait behind the busy handler. Events are broadcast only after their commit. A full disk is
//! told from other failures (`disk`): the engine's writer waits for space, a CLI verb fails with
//! [`StoreError::DiskFull`].
//!
//! Besides tasks and steps: [`escalations`] (the inbox), [`ledger`] (decisions and the autonomy
//! rate), [`logs`] (the lines logged about tasks, for the Logs pane), [`history`] (the task
//! list in pages, for a project with months of history), [`worktrees`] (tasks in worktrees of
//! their own and the merge queue) and [`audit`] (the hash-chained
//! `.bosun/audit.jsonl`, a file beside the database). [`export`] reads all of it about one
//! task into one document (`bosun export`); [`prune`] deletes the history of tasks finished
//! long ago, a bounded number of rows at a time.

pub mod audit;
mod batch;
mod disk;
mod error;
pub mod escalations;
pub mod export;
pub mod history;
pub mod ledger;
pub mod logs;
mod open;
mod probe;
pub mod prune;
pub mod read;
mod rows;
pub mod spend;
pub mod summary;
pub mod tokens;
pub mod worktrees;
mod write_ops;
mod writer;

pub use disk::{disk_full, free_space};
pub use error::StoreError;
pub use open::{OneShot, Store, connect_options, migrate, migrations};
pub use probe::ChangeProbe;
pub use read::{LiveStep, TaskRecord};
pub use rows::{NewTask, StepRow};
pub use write_ops::WriteOp;
pub use writer::WriterHandle;
