//! The audit log's tamper evidence through the real `bosun` binary: a log written with the
//! library API verifies; editing, removing, swapping, forging or truncating one line makes
//! `bosun audit verify` exit 1 and name that line as `.bosun/audit.jsonl:LINE: message`; and
//! appends racing from several threads (each with its own file handle, locked as another
//! process's would be) still form one valid chain.
//!
//! Every run gets its own project directory (also the current directory, so paths print
//! relative), its own `XDG_CONFIG_HOME` and Redis off (`support::Project`).

mod support;

use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};

use bosun::store::audit::AuditLog;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use support::Project;

const LOG: &str = ".bosun/audit.jsonl";
const CHANGED: &str = "the record was changed (its hash does not match its content)";

/// A project (its own user config dir, Redis off) holding one audit log.
struct Sandbox {
    project: Project,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            project: Project::new(),
        }
    }

    fn root(&self) -> PathBuf {
        std::fs::canonicalize(self.project.root()).expect("the project directory exists")
    }

    fn log(&self) -> AuditLog {
        AuditLog::new(self.root().join(LOG))
    }

    /// A log of `n` decisions, each choosing "hold", written through the library.
    fn write_log(&self, n: u64) {
        let entries: Vec<Map<String, Value>> = (1..=n).map(|i| decision(i, "hold")).collect();
        self.log()
            .append(&entries)
            .expect("append to the audit log");
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.root().join(LOG))
            .expect("read the audit log")
            .lines()
            .map(String::from)
            .collect()
    }

    fn set_lines(&self, lines: &[String]) {
        std::fs::write(self.root().join(LOG), lines.join("\n") + "\n").expect("rewrite the log");
    }

    /// Runs `bosun --project ROOT ARGS...` from the project root.
    fn run(&self, args: &[&str]) -> Output {
        self.project.bosun_from_root(args)
    }

    /// `bosun audit verify`, which must exit 1; returns its stderr.
    fn verify_fails(&self) -> String {
        let out = self.run(&["audit", "verify"]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(1),
            "verify should fail; stderr: {stderr}"
        );
        stderr
    }

    /// `bosun audit verify`, which must exit 0; returns its stdout.
    fn verify_passes(&self) -> String {
        let out = self.run(&["audit", "verify"]);
        assert!(
            out.status.success(),
            "verify should pass; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn decision(n: u64, choice: &str) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert("kind".into(), json!("decision"));
    entry.insert("task".into(), json!(format!("t-{n}")));
    entry.insert("choice".into(), json!(choice));
    entry
}

fn parse(line: &str) -> Map<String, Value> {
    serde_json::from_str(line).expect("a JSON object")
}

/// The hash a forger would compute: SHA-256 of the sorted compact JSON without `hash`.
fn reseal(mut record: Map<String, Value>) -> String {
    record.remove("hash");
    let mut content = Value::Object(record.clone());
    content.sort_all_objects();
    let digest = Sha256::digest(content.to_string().as_bytes());
    let hash: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    record.insert("hash".into(), json!(hash));
    Value::Object(record).to_string()
}

/// The problem lines of a failed verify: `(line, message)` from `FILE:LINE: message`.
fn problems(stderr: &str) -> Vec<(u64, String)> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{LOG}:")))
        .filter_map(|rest| {
            let (line, message) = rest.split_once(": ")?;
            Some((line.parse().ok()?, message.to_string()))
        })
        .collect()
}

#[test]
fn an_untouched_log_verifies_with_its_record_count() {
    let sandbox = Sandbox::new();
    sandbox.write_log(5);
    assert_eq!(
        sandbox.verify_passes().trim(),
        format!("audit log ok: 5 records, chain intact ({LOG})")
    );
}

#[test]
fn a_missing_log_is_empty_not_an_error() {
    let sandbox = Sandbox::new();
    assert!(sandbox.verify_passes().contains("0 records"));
}

#[test]
fn editing_one_line_names_that_line() {
    let sandbox = Sandbox::new();
    sandbox.write_log(5);
    let mut lines = sandbox.lines();
    lines[2] = lines[2].replace(r#""choice":"hold""#, r#""choice":"push""#);
    sandbox.set_lines(&lines);
    let stderr = sandbox.verify_fails();
    assert_eq!(
        problems(&stderr),
        vec![(3, CHANGED.to_string())],
        "{stderr}"
    );
}

#[test]
fn deleting_a_line_names_the_line_after_the_gap() {
    let sandbox = Sandbox::new();
    sandbox.write_log(5);
    let mut lines = sandbox.lines();
    lines.remove(2);
    sandbox.set_lines(&lines);
    let stderr = sandbox.verify_fails();
    assert_eq!(
        problems(&stderr),
        vec![(3, "seq 4 follows 2: a record was removed".to_string())],
        "{stderr}"
    );
}

#[test]
fn swapping_two_lines_names_both() {
    let sandbox = Sandbox::new();
    sandbox.write_log(5);
    let mut lines = sandbox.lines();
    lines.swap(1, 2);
    sandbox.set_lines(&lines);
    let stderr = sandbox.verify_fails();
    let found = problems(&stderr);
    assert_eq!(
        found.iter().map(|p| p.0).collect::<Vec<_>>(),
        [2, 3],
        "{stderr}"
    );
}

#[test]
fn a_forged_line_with_a_recomputed_hash_breaks_the_chain() {
    let sandbox = Sandbox::new();
    sandbox.write_log(5);
    let mut lines = sandbox.lines();
    let mut forged = parse(&lines[4]);
    forged.insert("seq".into(), json!(6));
    forged.insert("choice".into(), json!("push"));
    // Chained to the wrong record: the forger did not know (or skipped) the last hash.
    forged.insert("prev".into(), parse(&lines[0])["hash"].clone());
    lines.push(reseal(forged));
    sandbox.set_lines(&lines);
    let stderr = sandbox.verify_fails();
    let found = problems(&stderr);
    assert_eq!(found.len(), 1, "{stderr}");
    assert_eq!(found[0].0, 6, "{stderr}");
    assert!(found[0].1.contains("the chain is broken"), "{stderr}");
    assert!(found[0].1.contains("line 5's hash"), "{stderr}");
}

#[test]
fn a_resealed_edit_is_caught_at_the_next_line() {
    let sandbox = Sandbox::new();
    sandbox.write_log(5);
    let mut lines = sandbox.lines();
    let mut edited = parse(&lines[1]);
    edited.insert("choice".into(), json!("push"));
    lines[1] = reseal(edited);
    sandbox.set_lines(&lines);
    let found = problems(&sandbox.verify_fails());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 3);
    assert!(found[0].1.contains("line 2's hash"), "{found:?}");
}

#[test]
fn a_truncated_last_line_is_named_as_incomplete() {
    let sandbox = Sandbox::new();
    sandbox.write_log(5);
    let text = std::fs::read_to_string(sandbox.root().join(LOG)).expect("read");
    std::fs::write(sandbox.root().join(LOG), &text[..text.len() - 40]).expect("truncate");
    let stderr = sandbox.verify_fails();
    assert_eq!(
        problems(&stderr),
        vec![(
            5,
            "the line is incomplete (a write was cut off)".to_string()
        )],
        "{stderr}"
    );
    // The log keeps recording after the torn line, and only the torn line is reported.
    sandbox.write_log(2);
    let stderr = sandbox.verify_fails();
    assert_eq!(problems(&stderr).len(), 1, "{stderr}");
    assert!(stderr.contains("6 records"), "{stderr}");
}

#[test]
fn json_output_has_ok_records_and_problems() {
    let sandbox = Sandbox::new();
    sandbox.write_log(3);
    let out = sandbox.run(&["audit", "verify", "--json"]);
    assert!(out.status.success());
    let verdict: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(verdict["ok"], json!(true));
    assert_eq!(verdict["records"], json!(3));
    assert_eq!(verdict["problems"], json!([]));

    let mut lines = sandbox.lines();
    lines[0] = lines[0].replace("hold", "push");
    sandbox.set_lines(&lines);
    let out = sandbox.run(&["audit", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let verdict: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(verdict["ok"], json!(false));
    assert_eq!(verdict["records"], json!(3));
    assert_eq!(
        verdict["problems"],
        json!([{"line": 1, "message": CHANGED}])
    );
}

/// Checks the log is one chain holding every writer's records, each writer's in its order.
fn assert_one_chain(sandbox: &Sandbox, writers: u64, each: u64) {
    let stdout = sandbox.verify_passes();
    let total = writers * each;
    assert!(stdout.contains(&format!("{total} records")), "{stdout}");
    let records: Vec<Map<String, Value>> = sandbox.lines().iter().map(|l| parse(l)).collect();
    let seqs: Vec<u64> = records.iter().filter_map(|r| r["seq"].as_u64()).collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>());
    for writer in 0..writers {
        let mine: Vec<u64> = records
            .iter()
            .filter(|r| r["writer"] == json!(writer))
            .filter_map(|r| r["n"].as_u64())
            .collect();
        assert_eq!(mine, (0..each).collect::<Vec<_>>(), "writer {writer}");
    }
}

fn append_as(log: &AuditLog, writer: u64, each: u64) {
    for n in 0..each {
        let mut entry = Map::new();
        entry.insert("kind".into(), json!("command"));
        entry.insert("writer".into(), json!(writer));
        entry.insert("n".into(), json!(n));
        log.append(&[entry]).expect("append");
    }
}

#[test]
fn concurrent_threads_keep_one_chain() {
    let sandbox = Sandbox::new();
    let log = sandbox.log();
    let writing = AtomicBool::new(true);
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..6)
            .map(|writer| {
                let log = log.clone();
                scope.spawn(move || append_as(&log, writer, 40))
            })
            .collect();
        // A check running alongside the writers never sees half a batch.
        scope.spawn(|| {
            while writing.load(Ordering::Relaxed) {
                let report = bosun::store::audit::verify(log.path()).expect("verify");
                assert!(report.is_intact(), "{:?}", report.problems);
                // Back to back, shared locks would starve the writers of their exclusive one.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        });
        for writer in writers {
            writer.join().expect("writer thread");
        }
        writing.store(false, Ordering::Relaxed);
    });
    assert_one_chain(&sandbox, 6, 40);
}
