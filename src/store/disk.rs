//! Telling a full disk apart from other write failures, and how much room a filesystem has left.
//!
//! SQLite's unix VFS reports a write that found no space as `SQLITE_FULL`; the same lack of space
//! met elsewhere (an `fsync`, a truncate, growing the shared-memory index) comes back as an
//! `SQLITE_IOERR` whose system errno is `ENOSPC`, or `EDQUOT` when a quota is what ran out. All
//! of them mean one thing to Bosun: nothing of the transaction was written, and the very same
//! write succeeds once space is freed, so it is worth waiting for rather than failing.

use std::path::Path;

use libsqlite3_sys::{SQLITE_FULL, SQLITE_IOERR};
use nix::errno::Errno;
use sqlx::SqliteConnection;

use super::StoreError;

/// Whether a failure with SQLite result `code` (primary or extended) and the system errno
/// SQLite recorded for it means that the disk is full.
pub fn is_disk_full(code: i32, errno: i32) -> bool {
    match code & 0xff {
        SQLITE_FULL => true,
        SQLITE_IOERR => errno == Errno::ENOSPC as i32 || errno == Errno::EDQUOT as i32,
        _ => false,
    }
}

/// The SQLite result code (extended) of a store error that came from SQLite.
fn sqlite_code(e: &StoreError) -> Option<i32> {
    match e {
        StoreError::Sqlx(sqlx::Error::Database(db)) => db.code()?.parse().ok(),
        _ => None,
    }
}

/// Whether SQLite itself failed to read or write (a full disk, an I/O error): the open
/// transaction may have been undone by SQLite, so nothing after it in the batch can be trusted.
pub(super) fn is_io_failure(e: &StoreError) -> bool {
    matches!(e, StoreError::DiskFull(_))
        || sqlite_code(e).is_some_and(|code| matches!(code & 0xff, SQLITE_FULL | SQLITE_IOERR))
}

/// Why `e`, which `conn` has just returned, means that the disk is full; `None` when it means
/// anything else. Must be asked before the connection runs another statement: the errno that
/// tells an I/O error from a full disk is the failing call's.
pub async fn disk_full(conn: &mut SqliteConnection, e: &StoreError) -> Option<String> {
    if let StoreError::DiskFull(reason) = e {
        return Some(reason.clone());
    }
    let code = sqlite_code(e)?;
    let errno = if code & 0xff == SQLITE_IOERR {
        system_errno(conn).await
    } else {
        0
    };
    if !is_disk_full(code, errno) {
        return None;
    }
    let sqlite = match e {
        StoreError::Sqlx(sqlx::Error::Database(db)) => db.message().to_string(),
        other => other.to_string(),
    };
    Some(if errno == 0 {
        sqlite
    } else {
        format!("{sqlite}: {}", std::io::Error::from_raw_os_error(errno))
    })
}

/// The errno of the system call behind the connection's last I/O error (0 when unknown).
async fn system_errno(conn: &mut SqliteConnection) -> i32 {
    let Ok(mut handle) = conn.lock_handle().await else {
        return 0;
    };
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is the live handle of the connection locked above; the call only reads it.
    unsafe { libsqlite3_sys::sqlite3_system_errno(db) }
}

/// Bytes a process without special privileges may still write on the filesystem holding
/// `path` (what `df` calls available).
pub fn free_space(path: &Path) -> std::io::Result<u64> {
    let stats = nix::sys::statvfs::statvfs(path).map_err(std::io::Error::from)?;
    Ok(stats
        .blocks_available()
        .saturating_mul(stats.fragment_size()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_told_from_other_failures() {
        // SQLITE_FULL, whatever the errno (the VFS clears it: "not a system error").
        assert!(is_disk_full(SQLITE_FULL, 0));
        // SQLITE_IOERR_FSYNC (10 | 4 << 8) and SQLITE_IOERR_WRITE (10 | 3 << 8) for want of space
        // or of quota.
        assert!(is_disk_full(SQLITE_IOERR | (4 << 8), Errno::ENOSPC as i32));
        assert!(is_disk_full(SQLITE_IOERR | (3 << 8), Errno::EDQUOT as i32));
        // An I/O error for another cause, busy, corrupt, a constraint: not a full disk.
        assert!(!is_disk_full(SQLITE_IOERR | (3 << 8), Errno::EIO as i32));
        assert!(!is_disk_full(SQLITE_IOERR, 0));
        assert!(!is_disk_full(
            libsqlite3_sys::SQLITE_BUSY,
            Errno::ENOSPC as i32
        ));
        assert!(!is_disk_full(libsqlite3_sys::SQLITE_CORRUPT, 0));
        assert!(!is_disk_full(libsqlite3_sys::SQLITE_CONSTRAINT_UNIQUE, 0));
    }

    #[test]
    fn io_failures_are_full_disks_and_io_errors_only() {
        assert!(is_io_failure(&StoreError::DiskFull("full".into())));
        assert!(!is_io_failure(&StoreError::Conflict("taken".into())));
        assert!(!is_io_failure(&StoreError::Corrupt("bad".into())));
    }

    #[tokio::test]
    async fn sqlite_reports_a_full_database_as_a_full_disk() {
        use sqlx::{ConnectOptions, Connection};
        // `max_page_count` caps the database: SQLite's way to hit SQLITE_FULL without filling a
        // disk, to check that the error sqlx hands back is classified from its code.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("full.db");
        let mut conn = super::super::connect_options(&path)
            .expect("options")
            .create_if_missing(true)
            .connect()
            .await
            .expect("connect");
        sqlx::query("CREATE TABLE t (x BLOB)")
            .execute(&mut conn)
            .await
            .expect("create");
        sqlx::query("PRAGMA max_page_count = 4")
            .execute(&mut conn)
            .await
            .expect("cap");
        let e: StoreError = sqlx::query("INSERT INTO t VALUES (zeroblob(100000))")
            .execute(&mut conn)
            .await
            .expect_err("the insert cannot fit")
            .into();
        let reason = disk_full(&mut conn, &e).await;
        assert_eq!(reason.as_deref(), Some("database or disk is full"));
        assert!(is_io_failure(&e));
        let other: StoreError = sqlx::query("SELECT * FROM missing")
            .execute(&mut conn)
            .await
            .expect_err("no such table")
            .into();
        assert_eq!(disk_full(&mut conn, &other).await, None);
        conn.close().await.expect("close");
    }

    #[test]
    fn free_space_is_measured() {
        let dir = tempfile::tempdir().expect("tempdir");
        free_space(dir.path()).expect("statvfs works on a temporary directory");
        assert!(free_space(&dir.path().join("missing")).is_err());
    }
}
