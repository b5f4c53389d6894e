//! Helpers for the engine's Redis tests (`tests/redis_engine.rs`): the SQLite history every
//! copy is compared with, a `bosun tail` child, what the project has in Redis, and checks run
//! through the real binary.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bosun::mirror::Keys;
use bosun::protocol::{EventEnvelope, TaskId};
use bosun::store::{Store, summary};
use serde_json::Value;

use super::redis::RedisServer;
use super::{Project, eventually};

/// A bound for waiting only: nothing here is expected to take more than a few seconds.
pub const LONG: Duration = Duration::from_secs(60);

/// Five steps that each count their runs and take a moment, so a workflow commits many events
/// after Redis is cut off during its first step.
pub const SLOW: &str = r#"
steps:
  - id: a
    skill: shell
    with: { run: "echo run >> counts.a; sleep 0.3" }
  - id: b
    skill: shell
    with: { run: "echo run >> counts.b; sleep 0.3" }
  - id: c
    skill: shell
    with: { run: "echo run >> counts.c; sleep 0.3" }
  - id: d
    skill: shell
    with: { run: "echo run >> counts.d; sleep 0.3" }
  - id: e
    skill: shell
    with: { run: "echo run >> counts.e; sleep 0.3" }
"#;
pub const SLOW_STEPS: [&str; 5] = ["a", "b", "c", "d", "e"];

/// The project's history as SQLite holds it: the truth every copy is compared with.
pub struct History {
    pub runtime: tokio::runtime::Runtime,
    pub store: Store,
}

impl History {
    pub fn open(p: &Project) -> History {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let store = runtime
            .block_on(Store::open(&p.path(".bosun/state/bosun.db")))
            .expect("open the store");
        History { runtime, store }
    }

    pub fn events(&self) -> Vec<EventEnvelope> {
        self.runtime
            .block_on(summary::events_since(&self.store.reader, 0, 100_000))
            .expect("read the events")
    }

    pub fn last_seq(&self) -> i64 {
        self.runtime
            .block_on(summary::last_seq(&self.store.reader))
            .expect("read the last seq")
    }

    pub fn revision(&self) -> i64 {
        self.runtime
            .block_on(summary::revision(&self.store.reader))
            .expect("read the revision")
    }

    /// The stored events about `task`, as JSON.
    pub fn events_of(&self, task: &str) -> Vec<Value> {
        let events: Vec<EventEnvelope> = self
            .events()
            .into_iter()
            .filter(|e| e.event.task_id().0 == task)
            .collect();
        as_json(&events)
    }
}

pub fn as_json(events: &[EventEnvelope]) -> Vec<Value> {
    events
        .iter()
        .map(|e| serde_json::to_value(e).expect("an event is JSON"))
        .collect()
}

pub fn parse_all(lines: &Mutex<Vec<String>>) -> Vec<Value> {
    lines
        .lock()
        .expect("lock")
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

pub fn last_seq_of(events: &[Value]) -> Option<i64> {
    events.last().and_then(|e| e["seq"].as_i64())
}

/// Like [`eventually`], but says whether it happened instead of failing, so the caller's
/// assertion can show what differs.
pub fn within(limit: Duration, check: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while !check() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    true
}

/// The project's keys in Redis.
pub fn project_keys(server: &RedisServer, keys: &Keys) -> Vec<String> {
    server.cmd(redis::cmd("KEYS").arg(format!("{}*", keys.prefix())))
}

pub fn has_snapshot(server: &RedisServer, keys: &Keys) -> bool {
    let snapshot = format!("{}snapshot:200:", keys.prefix());
    project_keys(server, keys)
        .iter()
        .any(|k| k.starts_with(&snapshot))
}

/// The cached entry of a task (`{"rev", "value"}`), raw and parsed.
pub fn cached_task(server: &RedisServer, keys: &Keys, id: &str) -> Option<(String, Value)> {
    let raw: Option<String> = server.cmd(redis::cmd("GET").arg(keys.task(&TaskId::from(id))));
    raw.map(|raw| {
        let parsed = serde_json::from_str(&raw).expect("a cache entry is JSON");
        (raw, parsed)
    })
}

/// Waits until the engine's publisher has run (its first snapshot is in the cache), so every
/// event committed from now on is published.
pub fn wait_publishing(server: &RedisServer, keys: &Keys) {
    eventually(LONG, "the engine cached its first snapshot", || {
        has_snapshot(server, keys)
    });
}

pub fn show_via(p: &Project, id: &str, url: &str) -> Value {
    let out = p.bosun(&["show", id, "--json", "--redis", url]);
    assert!(
        out.status.success(),
        "show --redis failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("show --json is JSON")
}

pub fn tasks_via(p: &Project, url: &str) -> Vec<Value> {
    let out = p.bosun(&["tasks", "--json", "--redis", url]);
    assert!(
        out.status.success(),
        "tasks --redis failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("tasks --json is a JSON list")
}

/// The `redis` check of `bosun doctor --json`.
pub fn doctor_redis(p: &Project, url: &str) -> Value {
    let out = p.bosun(&["doctor", "--json", "--redis", url]);
    let checks: Value = serde_json::from_slice(&out.stdout).expect("doctor --json");
    checks
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "redis"))
        .cloned()
        .expect("a redis check")
}

pub fn assert_doctor_says_down(p: &Project, url: &str) {
    let check = doctor_redis(p, url);
    assert_eq!(check["ok"], false, "{check:#}");
    assert!(
        check["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("down:")),
        "{check:#}"
    );
}

/// Checks the SLOW task finished once and well: every step ran exactly once.
pub fn assert_ran_once(p: &Project, task: &Value) {
    assert_eq!(task["status"], "succeeded", "{task:#}");
    for step in SLOW_STEPS {
        assert_eq!(
            p.read(&format!("counts.{step}")).lines().count(),
            1,
            "step {step} must run exactly once"
        );
        assert_eq!(Project::step(task, step)["attempts"], 1, "{task:#}");
    }
}

/// `bosun tail --json -n 0` following the project; killed when dropped.
pub struct Tail {
    pub child: Child,
    pub lines: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<String>>,
    pub _config_home: tempfile::TempDir,
}

impl Tail {
    pub fn spawn(p: &Project, url: &str) -> Tail {
        let config_home = tempfile::tempdir().expect("config dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_bosun"))
            .args(["tail", "--json", "-n", "0", "--redis", url, "--project"])
            .arg(p.root())
            .env("XDG_CONFIG_HOME", config_home.path())
            .env("BOSUN_REDIS_URL", "off")
            .env("BOSUN_LOG", "info")
            .env_remove("BOSUN_PROJECT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bosun tail");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().expect("lock").push(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Tail {
            child,
            lines,
            stderr,
            _config_home: config_home,
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Subscribers to the project's channel, as Redis counts them.
pub fn subscribers(server: &RedisServer, keys: &Keys) -> i64 {
    let (_, count): (String, i64) =
        server.cmd(redis::cmd("PUBSUB").arg("NUMSUB").arg(keys.events()));
    count
}
