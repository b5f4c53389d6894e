//! Checking the chain: reads the whole log once and names every line that is wrong.
//!
//! Each line is checked against itself (its hash must match its content) and against the record
//! before it (`seq` one more, `prev` equal to that record's `hash`). One problem is reported per
//! line, the most telling first: an edited line is named by its own hash; a removed line by the
//! `seq` gap at the line after it; a moved or inserted line by `seq` going backwards or
//! repeating, or by `prev` not matching. After a problem the check carries on from the line as
//! it stands (unless its `seq` stepped back), so one edit is reported once rather than at every
//! later line; after an unreadable line the next record is taken as it is, since its link
//! cannot be checked across a line that cannot be read. Removing records from the very end
//! leaves no trace in a chain by itself.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};
use serde::Serialize;

use super::AuditError;
use super::record::{self, GENESIS, Link};

/// The outcome of [`verify`]: how many records were read and what is wrong, line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Lines that read as records, whether or not their hash and link check out.
    pub records: u64,
    /// In line order; empty when the chain is intact.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One wrong line: its 1-based number in the file and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The record the next one must follow: its seq, its hash, and the line it is on (0 = the
/// start of the log).
struct Previous {
    seq: u64,
    hash: String,
    line: u64,
}

/// Checks the whole chain of the log at `path`. A missing file is an empty log: 0 records, no
/// problems. Fails only when the file cannot be read.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    let io = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(VerifyReport::default()),
        Err(e) => return Err(io(e)),
    };
    // Shared, so a batch being appended right now is seen whole or not at all (never as a torn
    // line), while several checks can still run at once.
    let file = Flock::lock(file, FlockArg::LockShared)
        .map_err(|(_, errno)| io(std::io::Error::from(errno)))?;
    let mut reader = BufReader::new(&*file);
    let mut report = VerifyReport::default();
    let mut previous = Previous {
        seq: 0,
        hash: GENESIS.to_string(),
        line: 0,
    };
    let mut after_unreadable = false;
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(io)? == 0 {
            break;
        }
        number += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let mut problem = |message: String| {
            report.problems.push(Problem {
                line: number,
                message,
            });
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            problem("the line is empty (a record was blanked out, or a line inserted)".to_string());
            continue;
        }
        let (content, link) = match record::read_line(line) {
            Ok(read) => read,
            Err(why) => {
                problem(why.message());
                after_unreadable = true;
                continue;
            }
        };
        if record::content_hash(&content) != link.hash {
            problem("the record was changed (its hash does not match its content)".to_string());
        } else if !after_unreadable && let Some(message) = link_problem(&previous, &link) {
            problem(message);
        }
        report.records += 1;
        // A record that steps back (moved or inserted) is not where the chain continues from:
        // the next line should still follow the one before it, so a swap is reported twice
        // (once per moved line) and not again at every line after.
        if after_unreadable || link.seq > previous.seq {
            previous = Previous {
                seq: link.seq,
                hash: link.hash,
                line: number,
            };
        }
        after_unreadable = false;
    }
    Ok(report)
}

/// What is wrong with how `link` follows `previous`, if anything.
fn link_problem(previous: &Previous, link: &Link) -> Option<String> {
    let expected = previous.seq + 1;
    if link.seq > expected {
        let removed = link.seq - expected;
        let what = if removed == 1 {
            "a record was removed".to_string()
        } else {
            format!("{removed} records were removed")
        };
        return Some(if previous.line == 0 {
            format!("seq {} starts the log: {what}", link.seq)
        } else {
            format!("seq {} follows {}: {what}", link.seq, previous.seq)
        });
    }
    if link.seq < expected {
        return Some(format!(
            "seq {} follows {}: the records are out of order, or this one was inserted",
            link.seq, previous.seq
        ));
    }
    if link.prev != previous.hash {
        return Some(if previous.line == 0 {
            "the chain is broken: the first record's prev must be all zeros \
             (records before it were removed)"
                .to_string()
        } else {
            format!(
                "the chain is broken: the record before it was removed, changed or inserted \
                 (prev does not match line {}'s hash)",
                previous.line
            )
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::AuditLog;
    use serde_json::{Map, Value, json};

    /// A log of `n` decisions, returned as its lines.
    fn log_of(dir: &Path, n: u64) -> (std::path::PathBuf, Vec<String>) {
        let log = AuditLog::new(dir.join("audit.jsonl"));
        let entries: Vec<Map<String, Value>> = (1..=n)
            .map(|i| {
                let mut m = Map::new();
                m.insert("kind".into(), json!("decision"));
                m.insert("choice".into(), json!(format!("hold-{i}")));
                m
            })
            .collect();
        log.append(&entries).expect("append");
        let text = std::fs::read_to_string(log.path()).expect("read");
        (
            log.path().to_path_buf(),
            text.lines().map(String::from).collect(),
        )
    }

    fn rewrite(path: &Path, lines: &[String]) {
        std::fs::write(path, lines.join("\n") + "\n").expect("write");
    }

    fn problems(path: &Path) -> Vec<(u64, String)> {
        verify(path)
            .expect("verify")
            .problems
            .into_iter()
            .map(|p| (p.line, p.message))
            .collect()
    }

    #[test]
    fn a_missing_file_is_an_empty_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let report = verify(&dir.path().join("absent.jsonl")).expect("verify");
        assert_eq!(report, VerifyReport::default());
    }

    #[test]
    fn an_untouched_log_is_intact() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, _) = log_of(dir.path(), 5);
        let report = verify(&path).expect("verify");
        assert_eq!(report.records, 5);
        assert!(report.is_intact(), "{:?}", report.problems);
    }

    #[test]
    fn an_edited_line_is_named_by_its_own_hash() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, mut lines) = log_of(dir.path(), 5);
        lines[2] = lines[2].replace("hold-3", "push-3");
        rewrite(&path, &lines);
        let found = problems(&path);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 3);
        assert!(found[0].1.contains("was changed"), "{found:?}");
    }

    #[test]
    fn a_removed_line_is_named_at_the_line_after_the_gap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, mut lines) = log_of(dir.path(), 5);
        lines.remove(2);
        rewrite(&path, &lines);
        assert_eq!(
            problems(&path),
            vec![(3, "seq 4 follows 2: a record was removed".to_string())]
        );
    }

    #[test]
    fn a_removed_first_line_is_noticed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, mut lines) = log_of(dir.path(), 3);
        lines.remove(0);
        rewrite(&path, &lines);
        assert_eq!(
            problems(&path),
            vec![(1, "seq 2 starts the log: a record was removed".to_string())]
        );
    }

    #[test]
    fn swapped_lines_are_noticed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, mut lines) = log_of(dir.path(), 5);
        lines.swap(1, 2);
        rewrite(&path, &lines);
        let found = problems(&path);
        assert_eq!(found.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 3]);
        assert!(found[1].1.contains("out of order"), "{found:?}");
    }

    #[test]
    fn a_resealed_edit_breaks_the_link_to_the_next_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, mut lines) = log_of(dir.path(), 4);
        let mut forged: Map<String, Value> = serde_json::from_str(&lines[1]).expect("json");
        forged.insert("choice".into(), json!("push"));
        let hash = crate::store::audit::record::content_hash(&forged);
        forged.insert("hash".into(), json!(hash));
        lines[1] = Value::Object(forged).to_string();
        rewrite(&path, &lines);
        let found = problems(&path);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 3);
        assert!(
            found[0].1.contains("prev does not match line 2's hash"),
            "{found:?}"
        );
    }

    #[test]
    fn a_torn_last_line_is_named_and_later_appends_still_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, lines) = log_of(dir.path(), 3);
        let torn = &lines[2][..lines[2].len() / 2];
        std::fs::write(&path, format!("{}\n{}\n{torn}", lines[0], lines[1])).expect("tear");
        let incomplete = (
            3,
            "the line is incomplete (a write was cut off)".to_string(),
        );
        assert_eq!(problems(&path), vec![incomplete.clone()]);
        let mut more = Map::new();
        more.insert("kind".into(), json!("command"));
        AuditLog::new(&path).append(&[more]).expect("append");
        assert_eq!(problems(&path), vec![incomplete]);
        assert_eq!(verify(&path).expect("verify").records, 3);
    }

    #[test]
    fn blank_and_foreign_lines_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, mut lines) = log_of(dir.path(), 3);
        lines.insert(1, String::new());
        lines.insert(3, "not json".to_string());
        rewrite(&path, &lines);
        let found = problems(&path);
        assert_eq!(found.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 4]);
        assert!(found[0].1.contains("empty"), "{found:?}");
        assert!(found[1].1.contains("not valid JSON"), "{found:?}");
    }
}
