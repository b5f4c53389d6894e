//! Helpers for the watch-trigger tests: an engine that is known to be watching, the tasks it
//! started (oldest first), a bounded quiet time to show that nothing more happens, and
//! `bosun watch --dry-run` as a child process whose output is read line by line.
//!
//! The engine takes its lease before it starts watching, so `start_engine` alone returns too
//! early for a write to be seen: [`start_watching`] also waits for the engine's log to say that
//! the tree is watched and that the engine runs — only then has it read the workflows (an edit
//! made before that first read is all it knows, with no earlier good version to keep).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{EngineProcess, Project, eventually};

/// How long a wait for something that follows may take (builds share 2 cores).
pub const LONG: Duration = Duration::from_secs(60);

/// A quiet time several debounce windows (100–200 ms), the end-of-run settling (300 ms) and
/// the watcher's batching (50–100 ms) long: what has not happened by then will not.
pub const QUIET: Duration = Duration::from_millis(2500);

/// What the engine logs once the tree is watched, and once its start (the first reading of the
/// workflows included) is over.
const STARTED: [&str; 2] = ["watching the project tree", "engine running"];

/// A workflow's YAML: one shell step `s` running `run` when a path matching `watch` changes.
pub fn workflow(watch: &str, debounce: &str, on_busy: &str, run: &str) -> String {
    format!(
        r#"
triggers:
  - watch: ["{watch}"]
    debounce: {debounce}
    on_busy: {on_busy}
steps:
  - {{ id: s, skill: shell, with: {{ run: "{run}" }} }}
"#
    )
}

/// Starts `bosun run` and waits until it watches the project tree.
pub fn start_watching(p: &Project) -> EngineProcess {
    let engine = p.start_engine(&[]);
    eventually(LONG, "the engine watching the project tree", || {
        let log = engine_log(p);
        STARTED.iter().all(|line| log.contains(line))
    });
    engine
}

/// Everything the engine logged so far (its files in `.bosun/logs/`, in name order).
pub fn engine_log(p: &Project) -> String {
    let Ok(entries) = std::fs::read_dir(p.path(".bosun/logs")) else {
        return String::new();
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect()
}

/// Every task of the project, oldest first (`tasks --json` lists the newest first).
pub fn tasks(p: &Project) -> Vec<Value> {
    let out = p.bosun(&["tasks", "--json"]);
    assert!(
        out.status.success(),
        "tasks failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).expect("tasks --json is JSON");
    let mut list = list.as_array().cloned().expect("tasks --json is an array");
    list.reverse();
    list
}

/// Waits until the project has `n` tasks; returns them, oldest first. On failure, says what
/// there was and what the engine logged.
pub fn wait_tasks(p: &Project, n: usize) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let all = tasks(p);
        if all.len() >= n {
            return all;
        }
        if start.elapsed() > LONG {
            panic!(
                "never had {n} task(s); the tasks: {:#}\nthe engine log:\n{}",
                Value::from(all),
                engine_log(p)
            );
        }
        std::thread::sleep(Duration::from_millis(40));
    }
}

/// Waits [`QUIET`], then asserts that the project still has exactly `n` tasks.
pub fn stays_at(p: &Project, n: usize, why: &str) -> Vec<Value> {
    std::thread::sleep(QUIET);
    let all = tasks(p);
    assert_eq!(
        all.len(),
        n,
        "{why}; the tasks: {:#}",
        Value::from(all.clone())
    );
    all
}

/// A task's `changed_files` input, one path per element.
pub fn changed_files(task: &Value) -> Vec<String> {
    task["inputs"]["changed_files"]
        .as_str()
        .unwrap_or_else(|| panic!("no changed_files input: {task:#}"))
        .lines()
        .map(str::to_string)
        .collect()
}

/// The task's id.
pub fn id(task: &Value) -> &str {
    task["id"].as_str().expect("a task id")
}

/// `bosun watch --dry-run [--json]` running against a project; killed when dropped.
pub struct DryRun {
    child: Child,
    stdout: mpsc::Receiver<String>,
    /// Its stdout lines read so far, for failure messages.
    seen: Vec<String>,
    _config_home: tempfile::TempDir,
}

impl DryRun {
    /// Starts it and waits for its `watching` line on stderr.
    pub fn start(p: &Project, json: bool) -> DryRun {
        let config_home = tempfile::tempdir().expect("config dir");
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"));
        cmd.args(["watch", "--dry-run"]);
        if json {
            cmd.arg("--json");
        }
        cmd.arg("--project")
            .arg(p.root())
            .env("XDG_CONFIG_HOME", config_home.path())
            .env("BOSUN_REDIS_URL", "off")
            .env("BOSUN_LOG", "info")
            .env_remove("BOSUN_PROJECT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start bosun watch --dry-run");
        let stdout = lines(child.stdout.take().expect("stdout"));
        let stderr = lines(child.stderr.take().expect("stderr"));
        let mut dry = DryRun {
            child,
            stdout,
            seen: Vec::new(),
            _config_home: config_home,
        };
        let start = Instant::now();
        let mut said = Vec::new();
        loop {
            match stderr.recv_timeout(Duration::from_millis(100)) {
                Ok(line) if line.contains("watching") => break,
                Ok(line) => said.push(line),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = dry.child.wait();
                    panic!("watch --dry-run exited ({status:?}) before watching: {said:#?}");
                }
            }
            assert!(
                start.elapsed() < LONG,
                "watch --dry-run never said it was watching: {said:#?}"
            );
        }
        // Later stderr (definitions read again) is not needed; keep the pipe drained.
        std::thread::spawn(move || for _ in stderr {});
        dry
    }

    /// The next stdout line containing `needle`; panics with the lines seen after [`LONG`].
    pub fn line_with(&mut self, needle: &str) -> String {
        let start = Instant::now();
        while start.elapsed() < LONG {
            match self.stdout.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("no line with `{needle}`; stdout so far: {:#?}", self.seen);
    }
}

impl Drop for DryRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of a child's stream, read on their own thread.
fn lines(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
