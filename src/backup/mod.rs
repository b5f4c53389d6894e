//! Backups of the store (DESIGN.md §11): consistent copies of the database taken while the
//! engine runs, compressed with zstd, encrypted with age when `backup.encrypt` names
//! recipients, kept `backup.retention`; restoring one into a stopped project; and the check a
//! starting engine makes of its database.
//!
//! - [`take`](mod@take): a copy through SQLite's online backup, stored whole or as the pages
//!   changed since the last full copy ([`pages`]); `schedule`: the engine's periodic backups.
//! - [`catalog`]: the backups on disk, named so that listing needs no key; retention.
//! - [`restore`]: a backup made into a database, checked, swapped in.
//! - `seal`: compression, encryption and whole-or-nothing files.
//! - [`start`]: the integrity check at start, with the way back when it fails.
//!
//! It never names the engine, a front end or sqlx: the copy runs on plain SQLite connections
//! on a blocking thread (`sqlite`).

pub mod catalog;
mod pages;
pub mod restore;
pub mod schedule;
mod seal;
mod sqlite;
pub mod start;
pub mod take;

pub use catalog::{BackupInfo, Kind};
pub use seal::{Identities, load_identities, new_identity};

/// What can go wrong with a backup or a restore.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Sqlite(String),
    /// The copy, a backup or its result is damaged.
    #[error("{0}")]
    Corrupt(String),
    /// The user asked for something that is not there or not valid.
    #[error("{0}")]
    BadInput(String),
    #[error("{0} is encrypted: give the identity to decrypt it with --identity FILE")]
    NeedsIdentity(String),
    #[error("cannot decrypt {0} with the identity given")]
    WrongIdentity(String),
}
