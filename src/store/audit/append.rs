//! Appending to the audit log, safely from several processes at once.
//!
//! Every append holds an exclusive `flock` on the log file from reading the tail to the `fsync`,
//! so the engine and a CLI verb appending at the same moment still form one chain: each sees the
//! other's last record before choosing its own `seq` and `prev`. Only the end of the file is
//! read, never the whole log.
//!
//! A torn last line (a crash mid-write left no newline) is left where it is, for `verify` to
//! name; the append first ends it with a newline and then chains from the last line that reads as
//! a record. The same rule skips any other unreadable lines at the end, so one damaged line never
//! stops the log from recording.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde_json::{Map, Value};

use super::AuditError;
use super::record::{self, AT, GENESIS};

/// How much of the end of the file is read first; records are far smaller, so one read almost
/// always finds the last one. The window grows only if the tail holds no readable record.
const TAIL_WINDOW: u64 = 4096;

/// The audit log file. Cheap to clone; holds no open file between appends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLog {
    path: PathBuf,
}

/// Where the next record chains from.
#[derive(Debug, PartialEq, Eq)]
struct Tail {
    seq: u64,
    hash: String,
    /// The file ends without a newline (a torn write), which must be closed off first.
    unterminated: bool,
}

impl AuditLog {
    /// The log at `path` (usually `ProjectPaths::audit_log()`); nothing is opened yet.
    pub fn new(path: impl Into<PathBuf>) -> AuditLog {
        AuditLog { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record per entry, in order, and syncs them to disk before returning.
    ///
    /// Each entry is a JSON object with the caller's fields (by convention a `kind` such as
    /// `decision` or `command`). `at` is set to now if absent; `seq`, `prev` and `hash` belong
    /// to the log and replace any value the entry carries. Blocks on the file lock and on
    /// `fsync`; async callers go through [`super::AuditHandle`]. Creates the file and its
    /// folder if missing.
    pub fn append(&self, entries: &[Map<String, Value>]) -> Result<(), AuditError> {
        if entries.is_empty() {
            return Ok(());
        }
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        let parent = self.path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = parent {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let created = !self.path.exists();
        // Private from birth (mode 0600): the log quotes the commands and answers it records.
        let file = crate::config::private::private_file()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(io)?;
        if created {
            crate::config::private::make_private(&file).map_err(io)?;
        }
        let mut file = Flock::lock(file, FlockArg::LockExclusive)
            .map_err(|(_, errno)| io(std::io::Error::from(errno)))?;

        let tail = read_tail(&file).map_err(io)?;
        let now = crate::time::now_rfc3339();
        let mut text = String::new();
        if tail.unterminated {
            text.push('\n');
        }
        let (mut seq, mut prev) = (tail.seq, tail.hash);
        for entry in entries {
            seq += 1;
            let mut entry = entry.clone();
            entry.entry(AT).or_insert_with(|| Value::from(now.as_str()));
            let (sealed, hash) = record::seal(&entry, seq, &prev);
            text.push_str(&record::render_line(&sealed));
            prev = hash;
        }
        // One write for the batch, so a crash tears at most the end of it.
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        if created && let Some(dir) = parent {
            // The new file's name must survive a crash too, not only its contents.
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        // Dropping the `Flock` releases the lock.
        Ok(())
    }
}

/// Finds the last readable record by reading backwards from the end of the file.
fn read_tail(file: &File) -> std::io::Result<Tail> {
    let len = file.metadata()?.len();
    let mut tail = Tail {
        seq: 0,
        hash: GENESIS.to_string(),
        unterminated: false,
    };
    if len == 0 {
        return Ok(tail);
    }
    let mut window = TAIL_WINDOW;
    loop {
        let start = len.saturating_sub(window);
        let size = usize::try_from(len - start).map_err(std::io::Error::other)?;
        let mut buf = vec![0; size];
        file.read_exact_at(&mut buf, start)?;
        tail.unterminated = buf.last() != Some(&b'\n');
        let mut lines = buf.split(|b| *b == b'\n');
        if start > 0 {
            // The window may begin mid-line.
            lines.next();
        }
        let found = lines
            .rev()
            .filter(|line| !line.is_empty())
            .find_map(|line| record::read_line(line).ok());
        if let Some((_, link)) = found {
            tail.seq = link.seq;
            tail.hash = link.hash;
            return Ok(tail);
        }
        if start == 0 {
            // Nothing readable at all (e.g. the very first write was torn): start a new chain
            // after it; verify names the unreadable lines.
            return Ok(tail);
        }
        window = window.saturating_mul(4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fs::OpenOptions;

    fn entry(kind: &str, n: u64) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("kind".into(), json!(kind));
        map.insert("n".into(), json!(n));
        map
    }

    fn lines(path: &Path) -> Vec<Map<String, Value>> {
        std::fs::read_to_string(path)
            .expect("read log")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }

    #[test]
    fn creates_the_file_and_chains_records_across_appends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join("nested/.bosun/audit.jsonl"));
        log.append(&[entry("decision", 1), entry("command", 2)])
            .expect("append");
        log.append(&[entry("decision", 3)]).expect("append");
        let records = lines(log.path());
        assert_eq!(records.len(), 3);
        assert_eq!(records[0]["prev"], json!(GENESIS));
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r["seq"], json!(i + 1));
            assert_eq!(r["hash"], json!(record::content_hash(r)));
            assert!(r["at"].as_str().is_some_and(|at| at.ends_with('Z')));
        }
        assert_eq!(records[1]["prev"], records[0]["hash"]);
        assert_eq!(records[2]["prev"], records[1]["hash"]);
    }

    #[test]
    fn keeps_a_callers_timestamp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        let mut e = entry("decision", 1);
        e.insert("at".into(), json!("2026-01-02T03:04:05.006Z"));
        log.append(&[e]).expect("append");
        assert_eq!(
            lines(log.path())[0]["at"],
            json!("2026-01-02T03:04:05.006Z")
        );
    }

    #[test]
    fn an_empty_batch_touches_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        log.append(&[]).expect("append");
        assert!(!log.path().exists());
    }

    #[test]
    fn a_torn_last_line_is_closed_off_and_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        log.append(&[entry("decision", 1)]).expect("append");
        let first = lines(log.path()).remove(0);
        let mut file = OpenOptions::new()
            .append(true)
            .open(log.path())
            .expect("open");
        file.write_all(br#"{"seq":2,"at":"2026"#).expect("tear");
        log.append(&[entry("decision", 2)]).expect("append");
        let text = std::fs::read_to_string(log.path()).expect("read");
        let all: Vec<&str> = text.lines().collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[1], r#"{"seq":2,"at":"2026"#);
        let last: Map<String, Value> = serde_json::from_str(all[2]).expect("json");
        assert_eq!(last["seq"], json!(2));
        assert_eq!(last["prev"], first["hash"]);
    }

    #[test]
    fn a_torn_first_write_starts_a_fresh_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        std::fs::write(log.path(), r#"{"seq":1,"#).expect("tear");
        log.append(&[entry("decision", 1)]).expect("append");
        let text = std::fs::read_to_string(log.path()).expect("read");
        let last: Map<String, Value> =
            serde_json::from_str(text.lines().nth(1).expect("line 2")).expect("json");
        assert_eq!(last["seq"], json!(1));
        assert_eq!(last["prev"], json!(GENESIS));
    }

    #[test]
    fn the_tail_is_found_past_a_record_larger_than_the_window() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        let mut big = entry("command", 1);
        big.insert("output".into(), json!("x".repeat(3 * TAIL_WINDOW as usize)));
        log.append(&[entry("decision", 0), big]).expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .and_then(|mut f| f.write_all(b"garbage\n"))
            .expect("damage");
        let file = File::open(log.path()).expect("open");
        let tail = read_tail(&file).expect("tail");
        assert_eq!(tail.seq, 2);
        assert!(!tail.unterminated);
    }

    #[test]
    fn an_unwritable_path_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("not-a-dir"), "").expect("file");
        let log = AuditLog::new(dir.path().join("not-a-dir/audit.jsonl"));
        let err = log.append(&[entry("decision", 1)]).expect_err("fails");
        assert!(err.to_string().contains("not-a-dir"), "{err}");
    }
}
