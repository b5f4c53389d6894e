//! Taking a backup: a consistent copy through SQLite's online backup, checked, then stored
//! whole (a full copy) or as the pages changed since the last full copy (a delta), whichever
//! the rules in [`plan`] choose.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};
use serde::Serialize;
use time::OffsetDateTime;

use super::catalog::{self, BackupInfo, Kind};
use super::pages::{self, PageIndex, Scan};
use super::sqlite::Db;
use super::{BackupError, seal};
use crate::config::backup::BackupSettings;

/// What `take` did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// A new backup.
    Taken(Taken),
    /// Nothing changed since the newest backup, which is current.
    Unchanged { newest: BackupInfo },
}

/// A backup just taken, with what it cost.
#[derive(Debug, Clone, Serialize)]
pub struct Taken {
    pub backup: BackupInfo,
    /// The database's size when copied.
    pub database_bytes: u64,
    /// Pages in the database, and pages stored (all of them in a full copy).
    pub pages: u64,
    pub pages_stored: u64,
    pub millis: u64,
}

/// A copy of the database being backed up, removed when dropped.
struct Snapshot {
    path: PathBuf,
    page_size: u32,
    revision: i64,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

/// Makes `dir` (mode 0700) if needed.
pub(super) fn ensure_dir(dir: &Path) -> Result<(), BackupError> {
    crate::config::private::create_private_dir(dir)
        .map_err(|e| BackupError::Io(format!("{}: {e}", dir.display())))
}

/// Holds `dir/.lock`: one backup at a time, across processes (the engine's schedule and a
/// `bosun backup` by hand).
pub(super) fn lock(dir: &Path) -> Result<Flock<std::fs::File>, BackupError> {
    let path = dir.join(".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| BackupError::Io(format!("{}: {e}", path.display())))?;
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, e)| BackupError::Io(format!("cannot lock {}: {e}", path.display())))
}

/// Takes a backup of the database `db` into `dir`. Blocking: run it on a blocking thread.
/// `force_full` takes a full copy even when nothing changed or a delta would do.
pub fn take(
    db: &Path,
    dir: &Path,
    settings: &BackupSettings,
    force_full: bool,
) -> Result<Outcome, BackupError> {
    let started = Instant::now();
    let recipients = seal::recipients(&settings.encrypt)?;
    ensure_dir(dir)?;
    let _one_at_a_time = lock(dir)?;
    remove_leftovers(dir);
    let all = catalog::list(dir)?;
    let snapshot = snapshot(db, dir)?;
    if let Some(newest) = catalog::newest_restorable(&all)
        && newest.revision == snapshot.revision
        && !force_full
    {
        return Ok(Outcome::Unchanged {
            newest: newest.clone(),
        });
    }
    let database_bytes = std::fs::metadata(&snapshot.path)
        .map(|m| m.len())
        .unwrap_or(0);
    let scan = pages::scan(&snapshot.path, snapshot.page_size)?;
    let index_path = dir.join(".index");
    let base = plan(
        PageIndex::read(&index_path),
        &all,
        &scan,
        snapshot.page_size,
        settings,
        !recipients.is_empty(),
        force_full,
    );
    let at = distinct_moment(&all);
    let (name, pages_stored) = match &base {
        Some((index, changed)) => {
            let name = catalog::name(
                at,
                snapshot.revision,
                Some(&index.base),
                !recipients.is_empty(),
            );
            seal::write_whole(dir, &name, &recipients, |out| {
                pages::write_delta(&snapshot.path, index, &scan, changed, out)
            })?;
            (name, changed.len() as u64)
        }
        None => {
            let name = catalog::name(at, snapshot.revision, None, !recipients.is_empty());
            seal::write_whole(dir, &name, &recipients, |out| {
                let mut image = std::fs::File::open(&snapshot.path)
                    .map_err(|e| BackupError::Io(format!("{}: {e}", snapshot.path.display())))?;
                std::io::copy(&mut image, out)
                    .map(|_| ())
                    .map_err(|e| BackupError::Io(format!("writing a backup: {e}")))
            })?;
            let index = PageIndex {
                base: catalog::stamp(at),
                page_size: snapshot.page_size,
                image_hash: scan.image_hash,
                pages: scan.pages.clone(),
            };
            // Without it the next backup is a full copy again: worth a warning, not a failure.
            if let Err(e) = index.write(&index_path) {
                tracing::warn!(error = %e, "cannot keep the page index; the next backup is a full copy");
            }
            (name, scan.pages.len() as u64)
        }
    };
    let backup = catalog::list(dir)?
        .into_iter()
        .find(|b| b.name == name)
        .ok_or_else(|| BackupError::Io(format!("{name} vanished once written")))?;
    Ok(Outcome::Taken(Taken {
        backup,
        database_bytes,
        pages: scan.pages.len() as u64,
        pages_stored,
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }))
}

/// Copies the database into `dir/.snapshot.db` and checks the copy.
fn snapshot(db: &Path, dir: &Path) -> Result<Snapshot, BackupError> {
    if !db.exists() {
        return Err(BackupError::BadInput(format!(
            "no database at {} (nothing has run in this project yet)",
            db.display()
        )));
    }
    let mut snapshot = Snapshot {
        path: dir.join(".snapshot.db"),
        page_size: 0,
        revision: 0,
    };
    let source = Db::open_read(db)?;
    // Made 0600 before SQLite opens it (SQLite would make it 0644, less the umask).
    crate::config::private::private_file()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&snapshot.path)
        .map_err(|e| BackupError::Io(format!("{}: {e}", snapshot.path.display())))?;
    let copy = Db::open_write(&snapshot.path)?;
    // A scratch copy: it is fsynced as the backup file, not here.
    copy.exec("PRAGMA synchronous = OFF")?;
    source.copy_into(&copy)?;
    drop(source);
    // A damaged copy may fail the check itself ("database disk image is malformed") rather
    // than report rows: either way it is the database that is damaged, not the backup.
    let problem = match copy.value("PRAGMA quick_check") {
        Ok(verdict) if verdict == "ok" => None,
        Ok(verdict) => Some(verdict),
        Err(e) => Some(e.to_string()),
    };
    if let Some(problem) = problem {
        return Err(BackupError::Corrupt(format!(
            "the database {} fails its check ({problem}): not backed up, so that no good \
             backup is pushed out by a bad one",
            db.display()
        )));
    }
    snapshot.page_size = copy.value("PRAGMA page_size")?.parse().unwrap_or(4096);
    snapshot.revision = copy
        .value("SELECT value FROM revision WHERE id = 1")
        .unwrap_or_default()
        .parse()
        .unwrap_or(0);
    drop(copy);
    Ok(snapshot)
}

/// The full copy to store a delta over, with the pages that changed since it; `None` when a
/// full copy is due: none yet (or its index is lost), the last one older than
/// `backup.full_every`, encryption switched on or off since, or half the pages changed (a
/// delta would cost nearly what a full copy does).
fn plan(
    index: Option<PageIndex>,
    all: &[BackupInfo],
    scan: &Scan,
    page_size: u32,
    settings: &BackupSettings,
    encrypted: bool,
    force_full: bool,
) -> Option<(PageIndex, Vec<u64>)> {
    if force_full {
        return None;
    }
    let index = index?;
    let base = all
        .iter()
        .find(|b| b.kind == Kind::Full && b.base_stamp() == index.base)?;
    let age = crate::time::unix_now().saturating_sub(base.taken_unix);
    let too_old = Duration::from_secs(u64::try_from(age).unwrap_or(0)) >= settings.full_every;
    if too_old || base.encrypted != encrypted || index.page_size != page_size {
        return None;
    }
    let changed = index.changed(scan);
    (changed.len() * 2 < scan.pages.len()).then_some((index, changed))
}

/// Now, or the next second if the newest backup already has this second's stamp (names are
/// stamped to the second).
fn distinct_moment(all: &[BackupInfo]) -> OffsetDateTime {
    loop {
        let now = OffsetDateTime::now_utc();
        if all
            .last()
            .is_none_or(|b| b.taken_unix < now.unix_timestamp())
        {
            return now;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Temporary files a backup cut short left (a crash, a full disk): never a backup.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && (name.ends_with(".tmp") || name.starts_with(".snapshot.db")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Removes the backups past `settings.retention` (see [`catalog::expired`]); returns them.
pub fn prune(dir: &Path, settings: &BackupSettings) -> Result<Vec<BackupInfo>, BackupError> {
    let _one_at_a_time = lock(dir)?;
    let all = catalog::list(dir)?;
    let gone = catalog::expired(&all, settings.retention, crate::time::unix_now());
    for backup in &gone {
        std::fs::remove_file(&backup.path)
            .map_err(|e| BackupError::Io(format!("{}: {e}", backup.path.display())))?;
    }
    if !gone.is_empty() {
        seal::sync_dir(dir)?;
    }
    Ok(gone)
}

/// A full backup of the database at `db` before its schema is upgraded, into the project's
/// backups (`.bosun/backups` beside `.bosun/state`, where the database lives) with the
/// project's `backup:` settings. Blocking.
pub fn before_migration(db: &Path) -> Result<Outcome, BackupError> {
    let state = db.parent().unwrap_or(Path::new("."));
    let project = (state.file_name() == Some("state".as_ref()))
        .then(|| state.parent())
        .flatten()
        .filter(|bosun| bosun.file_name() == Some(".bosun".as_ref()))
        .and_then(Path::parent);
    let (dir, settings) = match project {
        Some(root) => {
            let settings = crate::config::ProjectPaths::new(root)
                .ok()
                .and_then(|paths| crate::config::load_settings(&paths, &Default::default()).ok())
                .map(|s| s.backup)
                .unwrap_or_default();
            (root.join(".bosun").join("backups"), settings)
        }
        None => (state.join("backups"), BackupSettings::default()),
    };
    take(db, &dir, &settings, true)
}
