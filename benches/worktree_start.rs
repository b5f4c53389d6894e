//! What a worktree adds to a task (run `cargo bench --bench worktree_start`), in a repository
//! of 10,000 committed files, through a real `bosun run`: the same one-step task (`true`) is
//! run 10 times in the checkout and 10 times with `isolation: worktree`.
//!
//! - start: from the task's start (`started_at`) to its first step's start — for a worktree
//!   task this holds recording it, making it and the `.worktreeinclude` copy. Worktree tasks
//!   are measured submitted back to back (each mostly finds the spare still being made, so
//!   `git worktree add` checks out 10,000 files), then each once the spare is ready (taken:
//!   a rename and a checkout of nothing);
//! - whole: from the task's start to its end — for a worktree task this adds noting its
//!   changes after the step, the commit of what it left, and removing the worktree (the step
//!   changed nothing).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/cli.rs"]
mod cli;
use cli::{bosun, millis_between};
#[path = "common/repo.rs"]
mod repo;
#[path = "common/stats.rs"]
mod stats;
use stats::report;

const RUNS: usize = 10;

/// Waits until the spare worktree is made and clean, as a task arriving a little after the
/// one before finds it.
fn spare_ready(root: &Path) {
    let spare = root.join(".bosun/worktrees/.spare");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let clean = Command::new("git")
            .arg("-C")
            .arg(&spare)
            .args(["status", "--porcelain"])
            .output()
            .is_ok_and(|o| o.status.success() && o.stdout.is_empty());
        if clean {
            // The refill's own end (its flag) follows its last file by a moment.
            std::thread::sleep(Duration::from_millis(200));
            return;
        }
        assert!(Instant::now() < deadline, "the spare was never made");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs workflow `name` `RUNS` times; returns (start, whole) in ms.
fn measure(root: &Path, name: &str, spare: bool) -> (Vec<f64>, Vec<f64>) {
    let (mut start, mut whole) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        if spare {
            spare_ready(root);
        }
        let out = bosun(root, &["submit", "-w", name, "bench"]);
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        let task = loop {
            let shown = bosun(root, &["show", &id, "--json"]);
            let task: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap_or_default();
            let gone = task["worktree"].is_null() || task["worktree"]["state"] == "removed";
            if task["finished_at"].is_string() && gone {
                break task;
            }
            assert!(Instant::now() < deadline, "task {id} never ended: {task}");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(task["status"], "succeeded", "{task}");
        let started = task["started_at"].as_str().expect("started");
        let step = task["steps"][0]["started_at"]
            .as_str()
            .expect("step started");
        start.push(millis_between(started, step));
        whole.push(millis_between(
            started,
            task["finished_at"].as_str().expect("ended"),
        ));
    }
    (start, whole)
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    repo::build(root);
    for (name, isolation) in [("plain", "none"), ("isolated", "worktree")] {
        std::fs::create_dir_all(root.join(".bosun/workflows")).expect("mkdir");
        std::fs::write(
            root.join(format!(".bosun/workflows/{name}.yaml")),
            format!(
                "name: {name}\nisolation: {isolation}\nsteps:\n  - id: work\n    skill: shell\n    with: {{ run: \"true\" }}\n"
            ),
        )
        .expect("workflow");
    }
    let mut engine = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["run", "--project"])
        .arg(root)
        .env("BOSUN_REDIS_URL", "off")
        .env("BOSUN_LOG", "warn")
        .stderr(Stdio::null())
        .spawn()
        .expect("engine");
    std::thread::sleep(Duration::from_millis(800));
    let (plain_start, plain_whole) = measure(root, "plain", false);
    let (wt_start, wt_whole) = measure(root, "isolated", false);
    let (spare_start, spare_whole) = measure(root, "isolated", true);
    let _ = engine.kill();
    let _ = engine.wait();
    println!(
        "a one-step task in a repository of {} files:",
        repo::FILES_TOTAL
    );
    report("checkout: task start -> first step", "ms", plain_start);
    report(
        "worktree, back to back: task start -> first step",
        "ms",
        wt_start,
    );
    report(
        "worktree, spare ready: task start -> first step",
        "ms",
        spare_start,
    );
    report("checkout: whole task", "ms", plain_whole);
    report(
        "worktree, back to back: whole task (made, noted, removed)",
        "ms",
        wt_whole,
    );
    report("worktree, spare ready: whole task", "ms", spare_whole);
}
