//! Reading back the records about one task (`bosun export`): every line of the log whose
//! `task_id` is that task, whole, with `seq`, `prev` and `hash`, so a reader can still check
//! each record's own hash against its content.
//!
//! Read under a shared `flock`, as [`super::verify`] is, so an append in progress is seen whole
//! or not at all. Lines that are not records (torn, edited into something else) are passed
//! over here: naming them is `verify`'s job.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};
use serde_json::{Map, Value};

use super::AuditError;
use super::record;

/// The records of the log at `path` whose `task_id` is `task`, in file order. A missing file
/// is an empty log.
pub fn records_of_task(path: &Path, task: &str) -> Result<Vec<Map<String, Value>>, AuditError> {
    let io = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let file = Flock::lock(file, FlockArg::LockShared)
        .map_err(|(_, errno)| io(std::io::Error::from(errno)))?;
    let mut reader = BufReader::new(&*file);
    let needle = task.as_bytes();
    let mut found = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(io)? == 0 {
            break;
        }
        // Most lines of a long log are about other tasks: only a line that names this one is
        // worth parsing.
        if !buf.windows(needle.len()).any(|w| w == needle) {
            continue;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if let Ok((content, _)) = record::read_line(line)
            && content.get("task_id").and_then(Value::as_str) == Some(task)
        {
            found.push(content);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::AuditLog;
    use serde_json::json;

    fn entry(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn only_the_tasks_own_records_are_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::new(&path);
        log.append(&[
            entry(json!({"kind": "decision", "task_id": "t-aaaa", "choice": "allow"})),
            // Another task whose record mentions the first one: not the first one's record.
            entry(json!({"kind": "decision", "task_id": "t-bbbb", "reason": "like t-aaaa"})),
            entry(json!({"kind": "command", "task_id": "t-aaaa", "command": "make"})),
            entry(json!({"kind": "command", "task_id": "t-aaaa0", "command": "other"})),
        ])
        .expect("append");
        // A torn line about the task is passed over, not an error.
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"seq\":9,\"task_id\":\"t-aaaa\"");
        std::fs::write(&path, text).expect("write");

        let found = records_of_task(&path, "t-aaaa").expect("read");
        let seqs: Vec<&Value> = found.iter().map(|r| &r["seq"]).collect();
        assert_eq!(seqs, [&json!(1), &json!(3)], "{found:#?}");
        assert!(found.iter().all(|r| r["hash"].as_str().is_some()));
        assert_eq!(found[1]["command"], "make");
    }

    #[test]
    fn a_missing_log_has_no_records() {
        let dir = tempfile::tempdir().expect("tempdir");
        let found = records_of_task(&dir.path().join("none.jsonl"), "t-x").expect("read");
        assert!(found.is_empty());
    }
}
