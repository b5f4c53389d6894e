//! One engine per project, through the real binary: the project database's lease refuses a
//! second `bosun run`, lets a new one in at once after `kill -9`, and picks exactly one winner
//! among engines started together.

mod support;

use std::time::{Duration, Instant};

use support::Project;

const LONG: Duration = Duration::from_secs(30);

/// Each step appends to its own counter file, so the files count runs; `middle` waits for a
/// `release` file.
const COUNTING: &str = r#"
steps:
  - id: first
    skill: shell
    with: { run: "echo run >> counts.first" }
  - id: middle
    skill: shell
    with: { run: "echo run >> counts.middle; while [ ! -e release ]; do sleep 0.05; done" }
  - id: last
    skill: shell
    with: { run: "echo run >> counts.last" }
"#;

fn count_running(engines: &mut [support::EngineProcess]) -> usize {
    engines
        .iter_mut()
        .map(|e| e.is_running())
        .filter(|r| *r)
        .count()
}

fn lines(p: &Project, file: &str) -> usize {
    p.read(file).lines().count()
}

#[test]
fn a_second_run_is_refused_naming_the_first_which_keeps_working() {
    let p = Project::new();
    let mut first = p.start_engine(&[]);
    let out = p.bosun(&["run"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("an engine already runs for")
            && stderr.contains(&format!("(pid {})", first.pid())),
        "{stderr}"
    );
    assert!(first.is_running());
    assert_eq!(p.lease_holder(), Some(i64::from(first.pid())));
    let id = p.submit(&["echo still here >> counts.after"]);
    assert_eq!(p.wait_finished(&id, LONG)["status"], "succeeded");
    assert_eq!(lines(&p, "counts.after"), 1);
    first.stop();
    assert_eq!(p.lease_holder(), None, "a clean stop releases the lease");
}

#[test]
fn after_kill_9_a_new_engine_takes_over_at_once_and_runs_each_task_once() {
    let p = Project::new();
    p.write(".bosun/workflows/counting.yaml", COUNTING);
    let first = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "counting", "count my runs"]);
    p.wait_for(&id, LONG, |t| {
        support::step_status(t, "middle") == Some("running") && lines(&p, "counts.middle") == 1
    });
    first.kill_hard();
    // The dead engine's row is still there, unexpired: only the dead-PID rule lets the next
    // engine in without waiting out the lease.
    let submitted_while_down = p.submit(&["--workflow", "counting", "count again"]);
    std::fs::write(p.path("release"), "").expect("release the middle step");

    let second = p.start_engine(&[]);
    for task in [&id, &submitted_while_down] {
        let view = p.wait_finished(task, LONG);
        assert_eq!(view["status"], "succeeded", "{view:#}");
    }
    let stderr = second.stop();
    assert!(
        stderr.contains("taking over the engine lease") && stderr.contains("its process is gone"),
        "{stderr}"
    );

    let resumed = p.show(&id);
    assert_eq!(
        Project::step(&resumed, "first")["attempts"],
        1,
        "{resumed:#}"
    );
    assert_eq!(
        Project::step(&resumed, "middle")["attempts"],
        2,
        "the cut step runs again"
    );
    assert_eq!(
        Project::step(&resumed, "last")["attempts"],
        1,
        "{resumed:#}"
    );
    let fresh = p.show(&submitted_while_down);
    for step in ["first", "middle", "last"] {
        assert_eq!(Project::step(&fresh, step)["attempts"], 1, "{fresh:#}");
    }
    // Two tasks: `first` and `last` once each, `middle` once plus the cut attempt.
    assert_eq!(lines(&p, "counts.first"), 2);
    assert_eq!(lines(&p, "counts.middle"), 3);
    assert_eq!(lines(&p, "counts.last"), 2);
}

#[test]
fn of_four_engines_started_together_exactly_one_runs() {
    let p = Project::new();
    let mut engines: Vec<_> = (0..4).map(|_| p.spawn_engine(&[])).collect();
    let start = Instant::now();
    while count_running(&mut engines) != 1 {
        assert!(start.elapsed() < LONG, "never down to one engine running");
        std::thread::sleep(Duration::from_millis(25));
    }
    let mut refused = Vec::new();
    let mut survivor = None;
    for mut engine in engines {
        if engine.is_running() {
            survivor = Some(engine);
        } else {
            refused.push(engine);
        }
    }
    let survivor = survivor.expect("one engine runs");
    for engine in refused {
        let out = engine.finish();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("an engine already runs for")
                && stderr.contains(&format!("(pid {})", survivor.pid())),
            "{stderr}"
        );
    }
    assert_eq!(p.lease_holder(), Some(i64::from(survivor.pid())));
    let id = p.submit(&["echo once >> counts.once"]);
    assert_eq!(p.wait_finished(&id, LONG)["status"], "succeeded");
    assert_eq!(lines(&p, "counts.once"), 1);
    survivor.stop();
}
