//! Restoring: a backup is made into a database beside the live one, checked (SQLite's full
//! `integrity_check`, then its rows counted), and only then swapped in; the database it
//! replaces is kept beside it, renamed, with its WAL.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::catalog::{self, BackupInfo, Kind};
use super::seal::{self, Identities};
use super::sqlite::Db;
use super::{BackupError, pages};

/// The tables whose rows a restore counts, to say what it brings back.
const COUNTED: &[&str] = &[
    "tasks",
    "runs",
    "steps",
    "events",
    "decisions",
    "escalations",
];

/// A restored copy that passed its check, not swapped in yet.
#[derive(Debug, Serialize)]
pub struct Checked {
    #[serde(skip)]
    pub path: PathBuf,
    pub backup: BackupInfo,
    /// Rows per table.
    pub rows: Vec<(String, i64)>,
}

impl Drop for Checked {
    fn drop(&mut self) {
        // Swapped in, it is gone from here; otherwise it is a scratch file.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The store revision of the database at `db`, if it can be read.
pub fn revision(db: &Path) -> Option<i64> {
    Db::open_read(db)
        .and_then(|d| d.value("SELECT value FROM revision WHERE id = 1"))
        .ok()?
        .parse()
        .ok()
}

/// Makes `backup` (with its base, for a delta) into a database at `target` and checks it.
/// Its revision is set past `above` (the revision of the database it replaces, and of every
/// backup): revisions tag cached copies (Redis) and say whether a backup is due, so they must
/// never go back to a number already seen with other contents. Blocking.
pub fn prepare(
    backup: &BackupInfo,
    all: &[BackupInfo],
    identities: &Identities,
    target: &Path,
    above: i64,
) -> Result<Checked, BackupError> {
    let checked = Checked {
        path: target.to_path_buf(),
        backup: backup.clone(),
        rows: Vec::new(),
    };
    let base = catalog::base_of(backup, all).ok_or_else(|| {
        BackupError::Corrupt(format!(
            "{} holds only the pages changed since the full copy of {}, which is gone",
            backup.name,
            backup.base_stamp()
        ))
    })?;
    let mut input = seal::open(&base.path, base.encrypted, identities)?;
    let base_hash = pages::write_image(&mut input, target)?;
    if backup.kind == Kind::Delta {
        let mut delta = seal::open(&backup.path, backup.encrypted, identities)?;
        pages::apply_delta(&mut delta, target, base_hash)?;
    }
    let above = all.iter().map(|b| b.revision).fold(above, i64::max);
    check(checked, above)
}

fn check(mut checked: Checked, above: i64) -> Result<Checked, BackupError> {
    let db = Db::open_write(&checked.path)?;
    let verdict = db.rows("PRAGMA integrity_check")?;
    let problems: Vec<String> = verdict
        .into_iter()
        .filter_map(|row| row.into_iter().next())
        .filter(|line| line != "ok")
        .collect();
    if !problems.is_empty() {
        return Err(BackupError::Corrupt(format!(
            "{} fails SQLite's integrity check: {}",
            checked.backup.name,
            problems.join("; ")
        )));
    }
    for table in COUNTED {
        let count = db
            .value(&format!("SELECT count(*) FROM {table}"))?
            .parse()
            .unwrap_or(0);
        checked.rows.push(((*table).to_string(), count));
    }
    // The engine that held the lease when the copy was taken is not running this copy.
    db.exec("DELETE FROM engine_lease")?;
    db.exec(&format!(
        "UPDATE revision SET value = max(value, {above}) + 1 WHERE id = 1"
    ))?;
    Ok(checked)
}

/// Puts `checked` in place of the database at `db`, keeping the one it replaces (with its WAL)
/// as `bosun.db.replaced-STAMP`; returns that name, or `None` when there was no database.
pub fn swap(checked: Checked, db: &Path) -> Result<Option<PathBuf>, BackupError> {
    let io = |p: &Path, e: std::io::Error| BackupError::Io(format!("{}: {e}", p.display()));
    let kept = if db.exists() {
        let replaced = unused_name(db, &catalog::stamp(time::OffsetDateTime::now_utc()));
        std::fs::rename(db, &replaced).map_err(|e| io(db, e))?;
        let wal = suffixed(db, "-wal");
        if wal.exists() {
            std::fs::rename(&wal, suffixed(&replaced, "-wal")).map_err(|e| io(&wal, e))?;
        }
        let _ = std::fs::remove_file(suffixed(db, "-shm"));
        Some(replaced)
    } else {
        None
    };
    std::fs::rename(&checked.path, db).map_err(|e| io(db, e))?;
    if let Some(dir) = db.parent() {
        seal::sync_dir(dir)?;
    }
    // Renamed into place: nothing left for its drop to remove.
    drop(checked);
    Ok(kept)
}

/// `bosun.db.replaced-STAMP`, or with `-2`, `-3`… when that is taken (two restores in one
/// second): a kept database, or its WAL, is never overwritten by the next one.
fn unused_name(db: &Path, stamp: &str) -> PathBuf {
    let mut replaced = suffixed(db, &format!(".replaced-{stamp}"));
    let mut n = 1;
    while replaced.exists() || suffixed(&replaced, "-wal").exists() {
        n += 1;
        replaced = suffixed(db, &format!(".replaced-{stamp}-{n}"));
    }
    replaced
}

/// `path` with `suffix` appended to its file name.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The backup a restore asked for: a name or path, the newest, or the newest taken at or
/// before a moment (unix seconds).
pub enum Choice<'a> {
    Named(&'a str),
    Latest,
    At(i64),
}

/// Finds the backup `choice` names among `all`.
pub fn choose<'a>(all: &'a [BackupInfo], choice: &Choice) -> Result<&'a BackupInfo, BackupError> {
    let restorable = |b: &&BackupInfo| catalog::base_of(b, all).is_some();
    match choice {
        Choice::Named(name) => {
            let wanted = Path::new(name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            all.iter().find(|b| b.name == wanted).ok_or_else(|| {
                BackupError::BadInput(format!(
                    "no backup named `{name}` in the project's backups (`bosun backups` lists them)"
                ))
            })
        }
        Choice::Latest => all
            .iter()
            .rev()
            .find(restorable)
            .ok_or_else(|| BackupError::BadInput("the project has no backup to restore".into())),
        Choice::At(at) => all
            .iter()
            .rev()
            .filter(|b| b.taken_unix <= *at)
            .find(restorable)
            .ok_or_else(|| {
                BackupError::BadInput(
                    "no backup was taken at or before that time (`bosun backups` lists them)"
                        .into(),
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_restore_in_the_same_second_keeps_both_replaced_databases() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("bosun.db");
        let stamp = "20261203T160102Z";
        let first = unused_name(&db, stamp);
        assert_eq!(first, dir.path().join("bosun.db.replaced-20261203T160102Z"));
        std::fs::write(&first, "kept").expect("first");
        let second = unused_name(&db, stamp);
        assert_eq!(
            second,
            dir.path().join("bosun.db.replaced-20261203T160102Z-2")
        );
        // A WAL left under a name is as taken as the database: it would be replayed into
        // whichever database later takes that name.
        std::fs::write(suffixed(&second, "-wal"), "wal").expect("wal");
        assert_eq!(
            unused_name(&db, stamp),
            dir.path().join("bosun.db.replaced-20261203T160102Z-3")
        );
    }
}
