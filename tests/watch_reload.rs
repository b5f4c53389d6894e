//! Editing `.bosun/config.yaml` and `.bosun/policy.yaml` while `bosun run` runs: the watcher
//! reloads them. An invalid edit keeps the last good version and is reported with its
//! position; a valid one applies without a restart.

mod support;

use std::time::Duration;

use support::watch::{engine_log, start_watching};
use support::{Project, eventually};

const LONG: Duration = Duration::from_secs(60);

/// Two tasks that each wait for a `release` file.
fn submit_waiting(p: &Project, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            p.submit(&[
                "--workflow",
                "shell",
                "--input",
                "command=while [ ! -e release ]; do sleep 0.05; done",
                &format!("wait {i}"),
            ])
        })
        .collect()
}

fn running(p: &Project, ids: &[String]) -> usize {
    ids.iter()
        .filter(|id| p.show(id)["status"] == "running")
        .count()
}

#[test]
fn a_config_edit_applies_live_and_an_invalid_one_keeps_the_last_good() {
    let p = Project::new();
    let engine = start_watching(&p);

    // Two tasks at once under the built-in limit (10)...
    let first = submit_waiting(&p, 2);
    eventually(LONG, "both tasks running", || running(&p, &first) == 2);
    // ...and an invalid edit, reported with its position, changes nothing for them.
    p.write(
        ".bosun/config.yaml",
        "engine:\n  max_concurrent_workflows: lots\n",
    );
    eventually(
        LONG,
        "the invalid config reported with its position",
        || {
            engine_log(&p)
                .lines()
                .any(|l| l.contains("ERROR") && l.contains("config.yaml:2:"))
        },
    );
    p.write("release", "");
    // (The CLI refuses an invalid config, so the tasks are looked at once it is fixed.)
    p.write(
        ".bosun/config.yaml",
        "engine:\n  max_concurrent_workflows: 1\n",
    );
    eventually(LONG, "the valid config reloaded", || {
        engine_log(&p).contains("config reloaded")
    });
    for id in &first {
        assert_eq!(p.wait_finished(id, LONG)["status"], "succeeded");
    }
    std::fs::remove_file(p.path("release")).expect("remove release");
    let second = submit_waiting(&p, 2);
    eventually(LONG, "one task running", || running(&p, &second) == 1);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(running(&p, &second), 1, "the new limit holds");
    p.write("release", "");
    for id in &second {
        assert_eq!(p.wait_finished(id, LONG)["status"], "succeeded");
    }
    engine.stop();
}

#[test]
fn an_invalid_policy_edit_is_reported_and_a_fix_clears_it() {
    let p = Project::new();
    let engine = start_watching(&p);
    p.write(
        ".bosun/policy.yaml",
        "rules:\n  - id: odd\n    match: { command: \"echo *\" }\n    action: perhaps\n",
    );
    eventually(
        LONG,
        "the invalid policy reported with its position",
        || {
            engine_log(&p)
                .lines()
                .any(|l| l.contains("ERROR") && l.contains("policy.yaml:4:"))
        },
    );
    p.write(".bosun/policy.yaml", "rules: []\n");
    eventually(LONG, "the fixed policy cleared", || {
        engine_log(&p).contains("is valid again")
    });
    engine.stop();
}
