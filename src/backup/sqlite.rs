//! The few SQLite calls a backup needs that sqlx does not wrap (the online backup API), on
//! plain blocking connections: a backup runs on a blocking thread, away from the runtime.

use std::ffi::{CStr, CString, c_int};
use std::path::Path;
use std::ptr;
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;

use super::BackupError;

/// How long a copy waits for a lock the engine's writer holds (it holds one for milliseconds).
const BUSY_FOR: Duration = Duration::from_secs(10);

/// One open connection, closed on drop.
pub(super) struct Db {
    raw: *mut ffi::sqlite3,
    path: String,
}

// SAFETY: SQLite is built thread-safe (serialized), and a `Db` is used by one thread at a time.
unsafe impl Send for Db {}

impl Db {
    /// Opens the database at `path` for reading (it must exist).
    pub fn open_read(path: &Path) -> Result<Db, BackupError> {
        Db::open(path, ffi::SQLITE_OPEN_READONLY)
    }

    /// Opens (creating if needed) the database at `path` for writing.
    pub fn open_write(path: &Path) -> Result<Db, BackupError> {
        Db::open(path, ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE)
    }

    fn open(path: &Path, flags: c_int) -> Result<Db, BackupError> {
        let shown = path.display().to_string();
        let c_path = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| BackupError::Io(format!("{shown}: a path with a NUL byte")))?;
        let mut raw = ptr::null_mut();
        // SAFETY: `c_path` is a valid C string; `raw` receives a handle (set even on failure,
        // and then closed by `Db`'s drop below).
        let rc = unsafe {
            ffi::sqlite3_open_v2(
                c_path.as_ptr(),
                &mut raw,
                flags | ffi::SQLITE_OPEN_NOMUTEX,
                ptr::null(),
            )
        };
        let db = Db { raw, path: shown };
        if rc != ffi::SQLITE_OK {
            return Err(db.error("cannot open"));
        }
        // SAFETY: `db.raw` is the open handle.
        unsafe {
            ffi::sqlite3_busy_timeout(db.raw, BUSY_FOR.as_millis() as c_int);
        }
        Ok(db)
    }

    /// The connection's last error, as a [`BackupError::Sqlite`] naming the file.
    fn error(&self, doing: &str) -> BackupError {
        let message = if self.raw.is_null() {
            "out of memory".to_string()
        } else {
            // SAFETY: `raw` is a handle SQLite gave us; the message is copied at once.
            unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.raw)) }
                .to_string_lossy()
                .into_owned()
        };
        BackupError::Sqlite(format!("{doing} {}: {message}", self.path))
    }

    /// Runs statements that return nothing.
    pub fn exec(&self, sql: &str) -> Result<(), BackupError> {
        let c_sql = CString::new(sql).map_err(|_| BackupError::Sqlite("SQL with a NUL".into()))?;
        // SAFETY: a valid handle and C string; no callback; the error text is not asked for.
        let rc = unsafe {
            ffi::sqlite3_exec(
                self.raw,
                c_sql.as_ptr(),
                None,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error(&format!("`{sql}` on")));
        }
        Ok(())
    }

    /// The rows of a query, each column as text (NULL as an empty string).
    pub fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>, BackupError> {
        let c_sql = CString::new(sql).map_err(|_| BackupError::Sqlite("SQL with a NUL".into()))?;
        let mut stmt = ptr::null_mut();
        // SAFETY: a valid handle and C string; `stmt` is finalized below on every path.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(self.raw, c_sql.as_ptr(), -1, &mut stmt, ptr::null_mut())
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error(&format!("`{sql}` on")));
        }
        let mut rows = Vec::new();
        let outcome = loop {
            // SAFETY: `stmt` was prepared above and not finalized yet.
            match unsafe { ffi::sqlite3_step(stmt) } {
                ffi::SQLITE_ROW => {
                    // SAFETY: as above; column texts are copied before the next step.
                    let columns = unsafe { ffi::sqlite3_column_count(stmt) };
                    let row = (0..columns)
                        .map(|i| unsafe {
                            let text = ffi::sqlite3_column_text(stmt, i);
                            if text.is_null() {
                                String::new()
                            } else {
                                CStr::from_ptr(text.cast()).to_string_lossy().into_owned()
                            }
                        })
                        .collect();
                    rows.push(row);
                }
                ffi::SQLITE_DONE => break Ok(()),
                _ => break Err(self.error(&format!("`{sql}` on"))),
            }
        };
        // SAFETY: finalized once.
        unsafe { ffi::sqlite3_finalize(stmt) };
        outcome.map(|()| rows)
    }

    /// The first column of the first row of a query.
    pub fn value(&self, sql: &str) -> Result<String, BackupError> {
        Ok(self
            .rows(sql)?
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next())
            .unwrap_or_default())
    }

    /// Copies this whole database into `dest` with SQLite's online backup, in one step: one
    /// read transaction, so the copy is of one moment even while the engine writes (in WAL
    /// mode readers never wait for the writer, nor it for them). Pages keep their numbers,
    /// which is what lets the next backup store only the pages that changed.
    pub fn copy_into(&self, dest: &Db) -> Result<(), BackupError> {
        let main = c"main";
        // SAFETY: both handles are open; the backup object is finished below on every path.
        let backup =
            unsafe { ffi::sqlite3_backup_init(dest.raw, main.as_ptr(), self.raw, main.as_ptr()) };
        if backup.is_null() {
            return Err(dest.error("cannot start a backup into"));
        }
        let started = Instant::now();
        let rc = loop {
            // SAFETY: `backup` is live until finished.
            let rc = unsafe { ffi::sqlite3_backup_step(backup, -1) };
            let busy = rc == ffi::SQLITE_BUSY || rc == ffi::SQLITE_LOCKED;
            if !busy || started.elapsed() > BUSY_FOR {
                break rc;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // SAFETY: finished once; it reports the first error of the backup.
        let finished = unsafe { ffi::sqlite3_backup_finish(backup) };
        if rc != ffi::SQLITE_DONE || finished != ffi::SQLITE_OK {
            return Err(dest.error(&format!("cannot copy {} into", self.path)));
        }
        Ok(())
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // SAFETY: closed once; every statement and backup object was finalized where it was made.
        unsafe {
            ffi::sqlite3_close(self.raw);
        }
    }
}
