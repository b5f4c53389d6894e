//! The engine's Redis mirror end to end: the real `bosun` binary against a real `redis-server`
//! started here (killed, restarted, paused, flushed) or a socket that never answers. Whatever
//! Redis does, workflows finish as they would without it, every answer `bosun` gives is
//! SQLite's, events reach subscribers once and in `seq` order, and an outage is logged once.

mod support;

use bosun::mirror::Keys;
use bosun::protocol::TaskId;
use serde_json::Value;
use support::redis::{RedisServer, SilentServer};
use support::redis_engine::{
    History, LONG, SLOW, Tail, as_json, assert_doctor_says_down, assert_ran_once, cached_task,
    has_snapshot, last_seq_of, parse_all, show_via, subscribers, tasks_via, wait_publishing,
    within,
};
use support::{Project, eventually, step_status};

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
