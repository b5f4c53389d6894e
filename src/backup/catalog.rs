//! The backups in `.bosun/backups/`, known by their names alone (an encrypted backup's contents
//! cannot be read without its identity, and listing must not need it):
//!
//! - `bosun-20261203T160102Z-r4711.full.db.zst` — a full copy: the database image, zstd
//!   compressed (`zstd -d` gives a database SQLite opens);
//! - `bosun-20261203T160602Z-r4790.delta-20261203T160102Z.zst` — the pages that changed since
//!   the full copy it names (its base), which a restore lays over that copy;
//! - either with `.age` appended when encrypted.
//!
//! `r4711` is the store's revision when the copy was taken: a backup is due only once it moved.
//! Files starting with `.` are work in progress (a temporary file is renamed when complete), so
//! a listed backup is always whole.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;

use super::BackupError;

/// Whether a backup is a whole database or the pages changed since one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Full,
    Delta,
}

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupInfo {
    pub name: String,
    pub path: PathBuf,
    pub kind: Kind,
    /// When it was taken, RFC 3339 (UTC).
    pub taken_at: String,
    #[serde(skip)]
    pub taken_unix: i64,
    /// The store's revision it holds.
    pub revision: i64,
    pub size_bytes: u64,
    pub encrypted: bool,
    /// A delta's full copy (its name).
    pub base: Option<String>,
}

const STAMP: &[time::format_description::FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// `20261203T160102Z` for a moment.
pub(super) fn stamp(at: OffsetDateTime) -> String {
    at.format(STAMP).unwrap_or_default()
}

fn parse_stamp(text: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(text, STAMP)
        .ok()
        .map(|t| t.assume_utc())
}

/// The file name of a new backup.
pub(super) fn name(
    at: OffsetDateTime,
    revision: i64,
    base: Option<&str>,
    encrypted: bool,
) -> String {
    let age = if encrypted { ".age" } else { "" };
    match base {
        None => format!("bosun-{}-r{revision}.full.db.zst{age}", stamp(at)),
        Some(base) => format!("bosun-{}-r{revision}.delta-{base}.zst{age}", stamp(at)),
    }
}

/// Reads a backup's name; `None` for anything else.
pub(super) fn parse(name: &str) -> Option<(Kind, OffsetDateTime, i64, Option<String>, bool)> {
    let (rest, encrypted) = match name.strip_suffix(".age") {
        Some(rest) => (rest, true),
        None => (name, false),
    };
    let rest = rest.strip_prefix("bosun-")?;
    let (head, tail) = rest.split_once('.')?;
    let (stamp, revision) = head.split_once("-r")?;
    let at = parse_stamp(stamp)?;
    let revision = revision.parse().ok()?;
    if tail == "full.db.zst" {
        return Some((Kind::Full, at, revision, None, encrypted));
    }
    let base = tail.strip_prefix("delta-")?.strip_suffix(".zst")?;
    parse_stamp(base)?;
    Some((Kind::Delta, at, revision, Some(base.to_string()), encrypted))
}

impl BackupInfo {
    /// The stamp of the full copy this backup needs: its own for a full copy.
    pub fn base_stamp(&self) -> String {
        match &self.base {
            Some(base) => base.clone(),
            None => stamp_of(&self.name),
        }
    }

    /// How long ago it was taken, as a person says it: `4 min ago`, `3 h ago`, `2 days ago`.
    pub fn age(&self) -> String {
        ago(crate::time::unix_now() - self.taken_unix)
    }
}

/// `4 min ago`, `3 h ago`, `2 days ago`.
pub fn ago(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => "just now".to_string(),
        60..3600 => format!("{} min ago", s / 60),
        3600..172_800 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

fn stamp_of(name: &str) -> String {
    name.strip_prefix("bosun-")
        .and_then(|rest| rest.split_once('-'))
        .map(|(stamp, _)| stamp.to_string())
        .unwrap_or_default()
}

/// Every backup in `dir`, oldest first; an absent directory has none.
pub fn list(dir: &Path) -> Result<Vec<BackupInfo>, BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BackupError::Io(format!("{}: {e}", dir.display()))),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((kind, at, revision, base, encrypted)) = parse(&name) else {
            continue;
        };
        let size_bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
        found.push(BackupInfo {
            path: entry.path(),
            kind,
            taken_at: crate::time::format_rfc3339(at),
            taken_unix: at.unix_timestamp(),
            revision,
            size_bytes,
            encrypted,
            base,
            name,
        });
    }
    found.sort_by(|a, b| (a.taken_unix, &a.name).cmp(&(b.taken_unix, &b.name)));
    Ok(found)
}

/// The full copy a backup needs, among `all`: itself when it is one.
pub fn base_of<'a>(backup: &'a BackupInfo, all: &'a [BackupInfo]) -> Option<&'a BackupInfo> {
    match backup.kind {
        Kind::Full => Some(backup),
        Kind::Delta => all
            .iter()
            .find(|b| b.kind == Kind::Full && b.base_stamp() == backup.base_stamp()),
    }
}

/// The newest backup that can be restored (a delta only with its base there).
pub fn newest_restorable(all: &[BackupInfo]) -> Option<&BackupInfo> {
    all.iter().rev().find(|b| base_of(b, all).is_some())
}

/// What retention removes from `all` (oldest first) at `now`: backups older than `keep`, except
/// the newest restorable one with its base, and any full copy a kept delta still needs. A delta
/// whose base is gone is removed, being of no use.
pub fn expired(all: &[BackupInfo], keep: Duration, now: i64) -> Vec<BackupInfo> {
    let cutoff = now.saturating_sub(i64::try_from(keep.as_secs()).unwrap_or(i64::MAX));
    let newest = newest_restorable(all);
    let mut kept: Vec<&BackupInfo> = all
        .iter()
        .filter(|b| b.taken_unix >= cutoff || Some(*b) == newest)
        .filter(|b| base_of(b, all).is_some())
        .collect();
    let bases: Vec<&BackupInfo> = kept.iter().filter_map(|b| base_of(b, all)).collect();
    kept.extend(bases);
    all.iter()
        .filter(|b| !kept.iter().any(|k| k.name == b.name))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str) -> BackupInfo {
        let (kind, at, revision, base, encrypted) = parse(name).expect("a backup name");
        BackupInfo {
            name: name.into(),
            path: name.into(),
            kind,
            taken_at: String::new(),
            taken_unix: at.unix_timestamp(),
            revision,
            size_bytes: 1,
            encrypted,
            base,
        }
    }

    #[test]
    fn names_read_back() {
        let at = OffsetDateTime::from_unix_timestamp(1_796_400_000).expect("time");
        let full = name(at, 42, None, false);
        assert_eq!(full, "bosun-20261204T160000Z-r42.full.db.zst");
        let delta = name(at, 43, Some("20261204T150000Z"), true);
        let (kind, read_at, revision, base, encrypted) = parse(&delta).expect("parsed");
        assert_eq!(
            (kind, read_at, revision, base.as_deref(), encrypted),
            (Kind::Delta, at, 43, Some("20261204T150000Z"), true)
        );
        assert!(parse(".bosun-20261204T160000Z-r42.full.db.zst.tmp").is_none());
        assert!(parse("notes.txt").is_none());
    }

    #[test]
    fn retention_keeps_the_newest_good_backup_and_its_base_however_old() {
        let all = vec![
            info("bosun-20260101T000000Z-r1.full.db.zst"),
            info("bosun-20260102T000000Z-r2.delta-20260101T000000Z.zst"),
            info("bosun-20260103T000000Z-r3.delta-20260101T000000Z.zst"),
        ];
        let now = all[2].taken_unix + 365 * 86_400;
        let gone: Vec<String> = expired(&all, Duration::from_secs(30 * 86_400), now)
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(gone, vec![all[1].name.clone()]);
    }

    #[test]
    fn retention_removes_old_copies_and_orphaned_deltas() {
        let all = vec![
            info("bosun-20260101T000000Z-r1.full.db.zst"),
            info("bosun-20260102T000000Z-r2.delta-20251231T000000Z.zst"),
            info("bosun-20260301T000000Z-r9.full.db.zst"),
            info("bosun-20260302T000000Z-r10.delta-20260301T000000Z.zst"),
        ];
        let now = all[3].taken_unix + 86_400;
        let gone: Vec<String> = expired(&all, Duration::from_secs(30 * 86_400), now)
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(gone, vec![all[0].name.clone(), all[1].name.clone()]);
    }
}
