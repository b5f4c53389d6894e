//! Edges of stopping and cancelling, through the real binary: a cancel racing an engine stop,
//! the kill grace covering a step's whole process group, output kept when a detached process
//! holds the pipes, and retry budgets that survive a restart.

mod support;

use std::time::Duration;

use support::{Project, eventually, step_status};

const LONG: Duration = Duration::from_secs(30);

#[test]
fn a_task_cancelled_while_the_engine_stops_stays_cancelled() {
    let p = Project::new();
    // The step ignores SIGTERM, so the cancel is still in flight when the engine is stopped.
    p.write(
        ".bosun/workflows/stubborn.yaml",
        "steps:\n  - id: s\n    skill: shell\n    with: { run: \"echo started >> marker; trap '' TERM; sleep 3\" }\n",
    );
    let p = std::sync::Arc::new(p);
    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "stubborn", "ignore TERM"]);
    p.wait_for(&id, LONG, |t| {
        step_status(t, "s") == Some("running") && !p.read("marker").is_empty()
    });
    let cancelling = {
        let (p, id) = (p.clone(), id.clone());
        std::thread::spawn(move || p.bosun(&["cancel", &id]))
    };
    std::thread::sleep(Duration::from_millis(300));
    engine.stop();
    let out = cancelling.join().expect("cancel thread");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(p.show(&id)["status"], "cancelled");
    let _engine = p.start_engine(&[]);
    let other = p.submit(&["echo after"]);
    p.wait_finished(&other, LONG);
    assert_eq!(p.show(&id)["status"], "cancelled");
    assert_eq!(
        p.read("marker").lines().count(),
        1,
        "a cancelled task ran again"
    );
}

#[test]
fn the_kill_grace_lets_the_whole_group_clean_up() {
    let p = Project::new();
    p.write("inner.sh", "trap 'sleep 0.5; echo cleaned > clean; exit 0' TERM\necho ready > ready\nsleep 30 & wait\n");
    p.write(
        ".bosun/workflows/cleanup.yaml",
        "steps:\n  - id: s\n    skill: shell\n    with: { run: \"sh inner.sh; echo after\" }\n",
    );
    let _engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "cleanup", "needs to clean up"]);
    p.wait_for(&id, LONG, |_| !p.read("ready").is_empty());
    let out = p.bosun(&["cancel", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The outer shell dies at once; its child still gets its grace period to clean up.
    eventually(
        Duration::from_secs(10),
        "the child's TERM handler ran",
        || p.read("clean") == "cleaned\n",
    );
}

#[test]
fn output_is_kept_when_a_detached_process_holds_the_pipe() {
    let p = Project::new();
    let _engine = p.start_engine(&[]);
    let id = p.submit(&[
        "--workflow",
        "shell",
        "--input",
        "command=setsid sleep 3 & sleep 0.2; echo hi",
        "detach",
    ]);
    let task = p.wait_finished(&id, LONG);
    assert_eq!(task["status"], "succeeded");
    assert_eq!(Project::step(&task, "run")["output"], "hi\n");
}

#[test]
fn a_retry_budget_is_not_renewed_by_a_restart() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/hopeless.yaml",
        "on_failure: fail\nsteps:\n  - id: s\n    skill: shell\n    with: { run: \"echo try >> tries; exit 1\" }\n    retry: { attempts: 2, backoff: 2s }\n",
    );
    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "hopeless", "always fails"]);
    // Stop during the backoff after the first failure.
    p.wait_for(&id, LONG, |t| t["steps"][0]["error"].is_string());
    engine.stop();
    let _engine = p.start_engine(&[]);
    let task = p.wait_finished(&id, LONG);
    assert_eq!(task["status"], "failed");
    assert_eq!(Project::step(&task, "s")["attempts"], 2);
    assert_eq!(p.read("tries").lines().count(), 2);
}

#[test]
fn a_zero_poll_interval_is_refused() {
    let p = Project::new();
    p.write(".bosun/config.yaml", "engine:\n  poll_interval: 0s\n");
    let out = p.bosun(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("poll_interval"));
}
