//! A step's stdout and stderr are both kept, whatever its outcome, and whatever asks about a
//! failure shows why it failed: through the real binary, a failing step waiting on its
//! question already has its error and stderr in `show` and the question's reason; a green
//! step's warnings on stderr are kept; `show` says what it cut and `--full` prints the rest.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Project, eventually};

const LONG: Duration = Duration::from_secs(30);

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_failure_waiting_on_its_question_shows_why_it_failed() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/w.yaml",
        "on_failure: ask\nsteps:\n  - { id: test, skill: shell, with: { run: \"echo '20 tests passed'; echo 'assertion failed: left == right' >&2; exit 101\" } }\n",
    );
    let _engine = p.start_engine(&[]);
    let task = p.submit(&["--workflow", "w", "run the tests"]);
    let waiting = p.wait_for(&task, LONG, |t| t["status"] == "waiting");
    let step = Project::step(&waiting, "test");
    assert_eq!(step["status"], "waiting", "{waiting:#}");
    assert_eq!(step["error"], "exited with code 101", "{step:#}");
    assert_eq!(step["stderr"], "assertion failed: left == right\n");
    assert_eq!(step["output"], "20 tests passed\n");

    let inbox: Vec<Value> =
        serde_json::from_slice(&p.bosun(&["inbox", "--json"]).stdout).expect("inbox JSON");
    let reason = inbox[0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("exited with code 101 — assertion failed: left == right"),
        "the question says why: {reason}"
    );
    assert!(reason.contains("failed once"), "{reason}");

    let shown = text(&p.bosun(&["show", &task]));
    assert!(
        shown.contains("stderr:\n      │ assertion failed: left == right"),
        "{shown}"
    );
    assert!(shown.contains("│ exited with code 101"), "{shown}");
}

#[test]
fn a_green_steps_warnings_on_stderr_are_kept_and_shown() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/w.yaml",
        "steps:\n  - { id: build, skill: shell, with: { run: \"echo 'warning: unused variable: x' >&2; echo built\" } }\n",
    );
    let _engine = p.start_engine(&[]);
    let task = p.submit(&["--workflow", "w", "build it"]);
    let done = p.wait_finished(&task, LONG);
    let step = Project::step(&done, "build");
    assert_eq!(step["status"], "succeeded", "{done:#}");
    assert_eq!(step["output"], "built\n");
    assert_eq!(step["stderr"], "warning: unused variable: x\n");
    let shown = text(&p.bosun(&["show", &task]));
    assert!(
        shown.contains("stderr:\n      │ warning: unused variable: x"),
        "{shown}"
    );
}

#[test]
fn show_says_what_it_cut_and_full_prints_everything_kept() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/w.yaml",
        "steps:\n  - { id: test, skill: shell, with: { run: \"for i in $(seq 1 20); do echo line-$i; done\" } }\n  - { id: after, skill: shell, with: { run: \"echo after\" } }\n",
    );
    let _engine = p.start_engine(&[]);
    let task = p.submit(&["--workflow", "w", "print lines"]);
    p.wait_finished(&task, LONG);

    let shown = text(&p.bosun(&["show", &task]));
    let hint = format!("15 earlier lines not shown: `bosun show {task} --step test --full`");
    assert!(shown.contains(&hint), "{shown}");
    assert!(
        !shown.contains("line-15\n") && shown.contains("line-16\n"),
        "{shown}"
    );

    let full = text(&p.bosun(&["show", &task, "--step", "test", "--full"]));
    for i in 1..=20 {
        assert!(full.contains(&format!("│ line-{i}\n")), "line {i}: {full}");
    }
    assert!(!full.contains("not shown"), "{full}");
    assert!(!full.contains("after"), "only the step asked for: {full}");

    let out = p.bosun(&["show", &task, "--step", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no step `nope`; its steps: test, after"),
        "{err}"
    );
}

/// The engine's progress saves carry stderr too: a long step's warnings show while it runs.
#[test]
fn a_running_steps_stderr_is_saved_as_it_goes() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/w.yaml",
        "steps:\n  - { id: slow, skill: shell, with: { run: \"echo 'warning: slow' >&2; sleep 30\" } }\n",
    );
    let _engine = p.start_engine(&[]);
    let task = p.submit(&["--workflow", "w", "be slow"]);
    eventually(LONG, "stderr saved while running", || {
        let t = p.show(&task);
        let steps = t["steps"].as_array().cloned().unwrap_or_default();
        steps
            .iter()
            .any(|s| s["status"] == "running" && s["stderr"] == "warning: slow\n")
    });
    let out = p.bosun(&["cancel", &task]);
    assert!(out.status.success());
}

/// A step's time waiting on a question is told apart from its work: a failure asked about for
/// a while shows as a short piece of work and a wait, in `show --json` and in `show`.
#[test]
fn time_waiting_on_a_question_is_not_counted_as_work() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/w.yaml",
        "on_failure: ask\nsteps:\n  - { id: lint, skill: shell, with: { run: \"exit 1\" } }\n",
    );
    let _engine = p.start_engine(&[]);
    let task = p.submit(&["--workflow", "w", "lint"]);
    p.wait_for(&task, LONG, |t| t["status"] == "waiting");
    std::thread::sleep(Duration::from_millis(2_500));
    let inbox: Vec<Value> =
        serde_json::from_slice(&p.bosun(&["inbox", "--json"]).stdout).expect("inbox JSON");
    let id = inbox[0]["id"].as_str().expect("an escalation").to_string();
    assert!(p.bosun(&["answer", &id, "abort"]).status.success());
    let done = p.wait_finished(&task, LONG);
    let step = Project::step(&done, "lint");
    let waited = step["waited_ms"].as_i64().expect("waited_ms");
    assert!(waited >= 2_000, "{step:#}");
    let shown = text(&p.bosun(&["show", &task]));
    assert!(
        shown.contains("worked 0s") && shown.contains("on a question"),
        "{shown}"
    );
}
