//! The engine's Redis mirror end to end: the real `bosun` binary against a real `redis-server`
//! started here (killed, restarted, paused, flushed) or a socket that never answers. Whatever
//! Redis does, workflows finish as they would without it, every answer `bosun` gives is
//! SQLite's, events reach subscribers once and in `seq` order, and an outage is logged once.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bosun::mirror::Keys;
use bosun::protocol::{EventEnvelope, TaskId};
use bosun::store::{Store, summary};
use serde_json::Value;
use support::redis::{RedisServer, SilentServer};
use support::{Project, eventually, step_status};

/// A bound for waiting only: nothing here is expected to take more than a few seconds.
const LONG: Duration = Duration::from_secs(60);

/// Five steps that each count their runs and take a moment, so a workflow commits many events
/// after Redis is cut off during its first step.
const SLOW: &str = r#"
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
const SLOW_STEPS: [&str; 5] = ["a", "b", "c", "d", "e"];

/// The project's history as SQLite holds it: the truth every copy is compared with.
struct History {
    runtime: tokio::runtime::Runtime,
    store: Store,
}

impl History {
    fn open(p: &Project) -> History {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let store = runtime
            .block_on(Store::open(&p.path(".bosun/state/bosun.db")))
            .expect("open the store");
        History { runtime, store }
    }

    fn events(&self) -> Vec<EventEnvelope> {
        self.runtime
            .block_on(summary::events_since(&self.store.reader, 0, 100_000))
            .expect("read the events")
    }

    fn last_seq(&self) -> i64 {
        self.runtime
            .block_on(summary::last_seq(&self.store.reader))
            .expect("read the last seq")
    }

    fn revision(&self) -> i64 {
        self.runtime
            .block_on(summary::revision(&self.store.reader))
            .expect("read the revision")
    }

    /// The stored events about `task`, as JSON.
    fn events_of(&self, task: &str) -> Vec<Value> {
        let events: Vec<EventEnvelope> = self
            .events()
            .into_iter()
            .filter(|e| e.event.task_id().0 == task)
            .collect();
        as_json(&events)
    }
}

fn as_json(events: &[EventEnvelope]) -> Vec<Value> {
    events
        .iter()
        .map(|e| serde_json::to_value(e).expect("an event is JSON"))
        .collect()
}

fn parse_all(lines: &Mutex<Vec<String>>) -> Vec<Value> {
    lines
        .lock()
        .expect("lock")
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn last_seq_of(events: &[Value]) -> Option<i64> {
    events.last().and_then(|e| e["seq"].as_i64())
}

/// Like [`eventually`], but says whether it happened instead of failing, so the caller's
/// assertion can show what differs.
fn within(limit: Duration, check: impl Fn() -> bool) -> bool {
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
fn project_keys(server: &RedisServer, keys: &Keys) -> Vec<String> {
    server.cmd(redis::cmd("KEYS").arg(format!("{}*", keys.prefix())))
}

fn has_snapshot(server: &RedisServer, keys: &Keys) -> bool {
    let snapshot = format!("{}snapshot:200:", keys.prefix());
    project_keys(server, keys)
        .iter()
        .any(|k| k.starts_with(&snapshot))
}

/// The cached entry of a task (`{"rev", "value"}`), raw and parsed.
fn cached_task(server: &RedisServer, keys: &Keys, id: &str) -> Option<(String, Value)> {
    let raw: Option<String> = server.cmd(redis::cmd("GET").arg(keys.task(&TaskId::from(id))));
    raw.map(|raw| {
        let parsed = serde_json::from_str(&raw).expect("a cache entry is JSON");
        (raw, parsed)
    })
}

/// Waits until the engine's publisher has run (its first snapshot is in the cache), so every
/// event committed from now on is published.
fn wait_publishing(server: &RedisServer, keys: &Keys) {
    eventually(LONG, "the engine cached its first snapshot", || {
        has_snapshot(server, keys)
    });
}

fn show_via(p: &Project, id: &str, url: &str) -> Value {
    let out = p.bosun(&["show", id, "--json", "--redis", url]);
    assert!(
        out.status.success(),
        "show --redis failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("show --json is JSON")
}

fn tasks_via(p: &Project, url: &str) -> Vec<Value> {
    let out = p.bosun(&["tasks", "--json", "--redis", url]);
    assert!(
        out.status.success(),
        "tasks --redis failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("tasks --json is a JSON list")
}

/// The `redis` check of `bosun doctor --json`.
fn doctor_redis(p: &Project, url: &str) -> Value {
    let out = p.bosun(&["doctor", "--json", "--redis", url]);
    let checks: Value = serde_json::from_slice(&out.stdout).expect("doctor --json");
    checks
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "redis"))
        .cloned()
        .expect("a redis check")
}

fn assert_doctor_says_down(p: &Project, url: &str) {
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
fn assert_ran_once(p: &Project, task: &Value) {
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
struct Tail {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    _config_home: tempfile::TempDir,
}

impl Tail {
    fn spawn(p: &Project, url: &str) -> Tail {
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

    fn stderr(&self) -> String {
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
fn subscribers(server: &RedisServer, keys: &Keys) -> i64 {
    let (_, count): (String, i64) =
        server.cmd(redis::cmd("PUBSUB").arg("NUMSUB").arg(keys.events()));
    count
}

const PIPELINE: &str = r#"
steps:
  - id: build
    skill: shell
    with: { run: "echo building" }
  - id: checks
    parallel:
      - { id: lint, skill: shell, with: { run: "echo lint" } }
      - { id: unit, skill: shell, with: { run: "echo unit" } }
  - id: ship
    skill: shell
    with: { run: "echo shipped" }
"#;

#[test]
fn published_events_equal_the_sqlite_history_in_a_subscriber_and_in_tail() {
    let server = RedisServer::start();
    let p = Project::new();
    p.write(".bosun/workflows/pipeline.yaml", PIPELINE);
    let keys = Keys::for_project(p.root());
    let raw = server.subscriber(&keys.events());
    let _engine = p.start_engine(&["--redis", &server.url]);
    wait_publishing(&server, &keys);
    let tail = Tail::spawn(&p, &server.url);
    eventually(
        LONG,
        "bosun tail says it follows live through Redis",
        || tail.stderr().contains("following live through Redis"),
    );
    assert_eq!(subscribers(&server, &keys), 2, "the test's and the tail's");

    let ids = [
        p.submit(&["--workflow", "pipeline", "first"]),
        p.submit(&["--workflow", "pipeline", "second"]),
    ];
    for id in &ids {
        let task = p.wait_finished(id, LONG);
        assert_eq!(task["status"], "succeeded", "{task:#}");
    }
    let history = History::open(&p);
    let delivered = within(LONG, || {
        let last = Some(history.last_seq());
        last_seq_of(&parse_all(&raw)) == last && last_seq_of(&parse_all(&tail.lines)) == last
    });
    let truth = as_json(&history.events());
    assert!(
        truth.len() >= 2 * 9,
        "two tasks of four steps make many events: {truth:#?}"
    );
    let seqs: Vec<i64> = truth.iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert_eq!(seqs, (1..=truth.len() as i64).collect::<Vec<_>>());
    assert_eq!(
        parse_all(&raw),
        truth,
        "the channel, as a raw subscriber saw it"
    );
    assert_eq!(parse_all(&tail.lines), truth, "bosun tail --json");
    assert!(delivered, "both copies reached the last stored event");
}

#[test]
fn a_task_submitted_as_the_engine_starts_is_published_whole() {
    let server = RedisServer::start();
    let p = Project::new();
    let keys = Keys::for_project(p.root());
    let raw = server.subscriber(&keys.events());
    // The engine holds the lease: it runs, as far as `bosun doctor` and a user can tell.
    let _engine = p.start_engine(&["--redis", &server.url]);
    let id = p.submit(&["echo submitted at once"]);
    assert_eq!(p.wait_finished(&id, LONG)["status"], "succeeded");
    let history = History::open(&p);
    let delivered = within(LONG, || {
        last_seq_of(&parse_all(&raw)) == Some(history.last_seq())
    });
    assert_eq!(
        parse_all(&raw),
        as_json(&history.events()),
        "every event committed while the engine runs is published"
    );
    assert!(delivered);
}

#[test]
fn a_killed_redis_loses_nothing_is_logged_once_and_is_used_again_when_back() {
    let mut server = RedisServer::own();
    let p = Project::new();
    p.write(".bosun/workflows/slow.yaml", SLOW);
    let keys = Keys::for_project(p.root());
    let engine = p.start_engine(&["--redis", &server.url]);
    wait_publishing(&server, &keys);
    let id = p.submit(&["--workflow", "slow", "slow steps"]);
    p.wait_for(&id, LONG, |t| step_status(t, "a") == Some("running"));

    server.kill();
    let history = History::open(&p);
    let killed_at = history.last_seq();
    let task = p.wait_finished(&id, LONG);
    assert_ran_once(&p, &task);
    assert!(
        history.last_seq() - killed_at >= 8,
        "many events were committed while Redis was down"
    );
    assert_doctor_says_down(&p, &server.url);
    assert_eq!(show_via(&p, &id, &server.url)["status"], "succeeded");

    server.restart();
    // The restarted server is empty: the engine refills what it caches, unasked.
    eventually(LONG, "the engine refilled the cache", || {
        has_snapshot(&server, &keys) && cached_task(&server, &keys, &id).is_some()
    });
    let (_, entry) = cached_task(&server, &keys, &id).expect("cached");
    assert_eq!(entry["value"]["status"], "succeeded", "{entry:#}");

    let fresh = server.subscriber(&keys.events());
    let after = p.submit(&["--workflow", "slow", "after the restart"]);
    assert_eq!(p.wait_finished(&after, LONG)["status"], "succeeded");
    let expected = history.events_of(&after);
    let of_after = || -> Vec<Value> {
        parse_all(&fresh)
            .into_iter()
            .filter(|e| e["event"]["task_id"] == after.as_str())
            .collect()
    };
    within(LONG, || of_after().len() >= expected.len());
    assert_eq!(
        of_after(),
        expected,
        "the new task's events, published again"
    );

    let stderr = engine.stop();
    assert_eq!(stderr.matches("redis: down").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("redis: back").count(), 1, "{stderr}");
}

#[test]
fn show_reports_the_truth_over_a_stale_or_flushed_cache() {
    let server = RedisServer::own();
    let p = Project::new();
    p.write(
        ".bosun/workflows/gated.yaml",
        r#"
steps:
  - id: wait
    skill: shell
    with: { run: "while [ ! -e release ]; do sleep 0.05; done; echo released" }
  - id: after
    skill: shell
    with: { run: "echo done" }
"#,
    );
    let keys = Keys::for_project(p.root());
    let _engine = p.start_engine(&["--redis", &server.url]);
    let id = p.submit(&["--workflow", "gated", "held until released"]);
    eventually(LONG, "the running task is cached", || {
        cached_task(&server, &keys, &id).is_some_and(|(_, e)| e["value"]["status"] == "running")
    });
    let (stale, _) = cached_task(&server, &keys, &id).expect("cached");

    std::fs::write(p.path("release"), "").expect("release the step");
    let truth = p.wait_finished(&id, LONG);
    assert_eq!(truth["status"], "succeeded", "{truth:#}");
    // Once the engine has written the final view through, nothing rewrites the key.
    eventually(LONG, "the finished task is cached", || {
        cached_task(&server, &keys, &id).is_some_and(|(_, e)| e["value"]["status"] == "succeeded")
    });

    // `show` does read the cache: an entry at the current revision is served as it is.
    let (_, mut current) = cached_task(&server, &keys, &id).expect("cached");
    current["rev"] = History::open(&p).revision().into();
    current["value"]["description"] = "as the cache has it".into();
    server.cmd::<()>(
        redis::cmd("SET")
            .arg(keys.task(&TaskId::from(id.as_str())))
            .arg(current.to_string()),
    );
    assert_eq!(
        show_via(&p, &id, &server.url)["description"],
        "as the cache has it"
    );

    server.cmd::<()>(
        redis::cmd("SET")
            .arg(keys.task(&TaskId::from(id.as_str())))
            .arg(&stale),
    );
    assert_eq!(
        cached_task(&server, &keys, &id).map(|(raw, _)| raw),
        Some(stale)
    );
    assert_eq!(show_via(&p, &id, &server.url), truth, "over a stale entry");

    server.cmd::<()>(&redis::cmd("FLUSHALL"));
    assert_eq!(show_via(&p, &id, &server.url), truth, "after FLUSHALL");
}

/// Runs the SLOW workflow with an engine on `url` (once `ready` returns), calling `cut` once its
/// first step runs, and checks that the work and every answer are unaffected and the outage is
/// logged once.
fn runs_as_without_redis(p: &Project, url: &str, ready: impl FnOnce(), cut: impl FnOnce()) {
    let engine = p.start_engine(&["--redis", url]);
    ready();
    let id = p.submit(&["--workflow", "slow", "slow steps"]);
    p.wait_for(&id, LONG, |t| step_status(t, "a") == Some("running"));
    cut();
    let truth = p.wait_finished(&id, LONG);
    assert_ran_once(p, &truth);
    assert_eq!(show_via(p, &id, url), truth);
    let listed = tasks_via(p, url);
    let row = listed
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} not listed: {listed:#?}"));
    assert_eq!(row["status"], "succeeded", "{row:#}");
    assert_doctor_says_down(p, url);
    let stderr = engine.stop();
    assert_eq!(stderr.matches("redis: down").count(), 1, "{stderr}");
}

#[test]
fn a_redis_that_accepts_but_never_answers_changes_nothing() {
    let silent = SilentServer::start();
    let p = Project::new();
    p.write(".bosun/workflows/slow.yaml", SLOW);
    runs_as_without_redis(&p, &silent.url, || {}, || {});
}

#[test]
fn a_redis_frozen_mid_workflow_changes_nothing() {
    let server = RedisServer::own();
    let p = Project::new();
    p.write(".bosun/workflows/slow.yaml", SLOW);
    let keys = Keys::for_project(p.root());
    // Publishing works before the freeze, so the outage really begins mid-workflow.
    runs_as_without_redis(
        &p,
        &server.url,
        || wait_publishing(&server, &keys),
        || server.pause(),
    );
    server.resume();
}
