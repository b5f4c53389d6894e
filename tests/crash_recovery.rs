//! Durability through the real binary: `kill -9` a `bosun run` in the middle of a workflow,
//! start it again, and check that nothing submitted is lost, no finished step runs again, the
//! interrupted step runs again, and nothing the dead engine started is left running.

mod support;

use std::time::Duration;

use support::{Project, alive, eventually, group_alive};

const LONG: Duration = Duration::from_secs(30);

/// Each step appends to its own counter file when it starts, so the files count runs.
const COUNTING: &str = r#"
steps:
  - id: first
    skill: shell
    with: { run: "echo run >> counts.first" }
  - id: middle
    skill: shell
    with: { run: "echo run >> counts.middle; cut -d' ' -f5 /proc/$$/stat > middle.pgid; if [ ! -e release ]; then sleep 60 & echo $! > middle.child; wait; fi" }
  - id: side
    parallel:
      - { id: left, skill: shell, with: { run: "echo run >> counts.left" } }
      - { id: right, skill: shell, with: { run: "echo run >> counts.right" } }
  - id: last
    skill: shell
    with: { run: "echo run >> counts.last" }
"#;

#[test]
fn kill_9_mid_workflow_loses_nothing_and_reruns_only_the_cut_step() {
    let p = Project::new();
    // The step reads its own /proc entry to report its process group.
    p.write(".bosun/policy.yaml", "read_roots: [\"/proc\"]\n");
    p.write(".bosun/workflows/counting.yaml", COUNTING);
    // One workflow at a time, so the second task is still queued when the engine dies.
    let engine = p.start_engine(&["--max-workflows", "1"]);
    let id = p.submit(&["--workflow", "counting", "count my runs"]);
    let queued_later = p.submit(&["--priority", "low", "echo queued >> counts.queued"]);
    p.wait_for(&id, LONG, |t| {
        support::step_status(t, "middle") == Some("running") && !p.read("middle.child").is_empty()
    });
    let group: i32 = p
        .read("middle.pgid")
        .trim()
        .parse()
        .expect("middle's process group");
    let child: i32 = p
        .read("middle.child")
        .trim()
        .parse()
        .expect("middle child pid");

    engine.kill_hard();

    // Submitted while no engine runs: must not be lost either.
    let submitted_while_down = p.submit(&["echo down >> counts.down"]);
    let before = p.show(&id);
    assert_eq!(
        before["status"], "running",
        "the dead engine's task is still marked running"
    );
    assert_eq!(Project::step(&before, "first")["status"], "succeeded");
    assert_eq!(p.show(&queued_later)["status"], "queued");

    std::fs::write(p.path("release"), "").expect("release the middle step");
    let _engine = p.start_engine(&[]);
    // The restarted engine ends what its predecessor left running before resuming.
    eventually(
        Duration::from_secs(10),
        "the orphaned step processes ended",
        || !alive(child) && !group_alive(group),
    );
    let task = p.wait_finished(&id, LONG);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(
        p.read("counts.first").lines().count(),
        1,
        "a finished step ran again"
    );
    assert_eq!(
        p.read("counts.middle").lines().count(),
        2,
        "the interrupted step must run again"
    );
    for step in ["left", "right", "last"] {
        assert_eq!(
            p.read(&format!("counts.{step}")).lines().count(),
            1,
            "step {step}"
        );
    }
    assert_eq!(Project::step(&task, "middle")["attempts"], 2);
    for other in [&queued_later, &submitted_while_down] {
        assert_eq!(p.wait_finished(other, LONG)["status"], "succeeded");
    }
    assert_eq!(p.read("counts.queued").lines().count(), 1);
    assert_eq!(p.read("counts.down").lines().count(), 1);
}

#[test]
fn kill_9_ends_the_step_processes_at_once_even_without_a_restart() {
    let p = Project::new();
    // The step reads its own /proc entry to report its process group.
    p.write(".bosun/policy.yaml", "read_roots: [\"/proc\"]\n");
    p.write(
        ".bosun/workflows/bg.yaml",
        "steps:\n  - id: s\n    skill: shell\n    with: { run: \"cut -d' ' -f5 /proc/$$/stat > pgid; sleep 60 & echo $! > child.pid; wait\" }\n",
    );
    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "bg", "background child"]);
    p.wait_for(&id, LONG, |_| {
        !p.read("child.pid").is_empty() && !p.read("pgid").is_empty()
    });
    let child: i32 = p.read("child.pid").trim().parse().expect("child pid");
    let group: i32 = p.read("pgid").trim().parse().expect("pgid");
    assert!(alive(child));
    engine.kill_hard();
    // No engine is started again: the step's supervisor ends its group when its engine dies.
    eventually(
        Duration::from_secs(5),
        "the step's processes died with their engine",
        || !alive(child) && !group_alive(group),
    );
}

#[test]
fn a_clean_stop_interrupts_running_steps_and_the_next_start_resumes() {
    let p = Project::new();
    // The step reads its own /proc entry to report its process group.
    p.write(".bosun/policy.yaml", "read_roots: [\"/proc\"]\n");
    p.write(".bosun/workflows/counting.yaml", COUNTING);
    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "counting", "count my runs"]);
    p.wait_for(&id, LONG, |t| {
        support::step_status(t, "middle") == Some("running") && !p.read("middle.child").is_empty()
    });
    let child: i32 = p
        .read("middle.child")
        .trim()
        .parse()
        .expect("middle child pid");
    engine.stop();
    assert!(!alive(child), "a clean stop ends the step's processes");
    let stopped = p.show(&id);
    assert_eq!(stopped["status"], "queued", "{stopped:#}");
    assert_eq!(Project::step(&stopped, "middle")["status"], "pending");

    std::fs::write(p.path("release"), "").expect("release");
    let _engine = p.start_engine(&[]);
    let task = p.wait_finished(&id, LONG);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(p.read("counts.first").lines().count(), 1);
    assert_eq!(p.read("counts.middle").lines().count(), 2);
}

#[test]
fn a_second_engine_for_the_same_project_is_refused() {
    let p = Project::new();
    let mut first = p.start_engine(&[]);
    let out = p.bosun(&["run"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already runs") && stderr.contains(&first.pid().to_string()),
        "{stderr}"
    );
    assert!(first.is_running());
}

/// A clean stop folds the WAL into the database and removes it, every time: a log left behind
/// grows with every start, hides from a plain copy of `bosun.db` what the log holds, and was
/// seen after a stop whose last connection to close could not checkpoint (a read-only one).
#[test]
fn a_clean_stop_leaves_no_wal_behind() {
    let p = Project::new();
    for round in 0..5 {
        let engine = p.start_engine(&[]);
        let id = p.submit(&[&format!("echo round {round}")]);
        p.wait_finished(&id, LONG);
        engine.stop();
        let wal = p.path(".bosun/state/bosun.db-wal");
        let left = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert_eq!(left, 0, "round {round}: the WAL was left with {left} bytes");
    }
}
