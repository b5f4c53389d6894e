//! Near-identical questions through the real binary: commands of one shape (`node -e CODE`
//! with other code) are one group that one answer settles; `--remember session` decides the
//! next one of that shape and says what it covers, and never decides a command of the same
//! shape asked about for another reason (a secret read), nor one with other options.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::Project;

const LONG: Duration = Duration::from_secs(30);

fn inbox(p: &Project) -> Vec<Value> {
    let out = p.bosun(&["inbox", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    list.as_array().cloned().unwrap_or_default()
}

/// Waits (bounded) until exactly `n` questions are open, and returns them.
fn wait_inbox(p: &Project, n: usize) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let open = inbox(p);
        if open.len() >= n {
            assert_eq!(open.len(), n, "more questions than expected: {open:#?}");
            return open;
        }
        assert!(start.elapsed() < LONG, "waited for {n}; open: {open:#?}");
        std::thread::sleep(Duration::from_millis(40));
    }
}

fn answer(p: &Project, args: &[&str]) -> String {
    let all: Vec<&str> = std::iter::once("answer")
        .chain(args.iter().copied())
        .collect();
    let out = p.bosun(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn id_of(q: &Value) -> String {
    q["id"].as_str().expect("escalation id").to_string()
}

/// Who decided each command decision of `task`, by step.
fn deciders(p: &Project, task: &str) -> Vec<(String, String, String)> {
    let out = p.bosun(&["decisions", "--task", task, "--json"]);
    let all: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut found: Vec<(String, String, String)> = all
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["kind"] == "command")
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            (s("step_id"), s("choice"), s("decided_by"))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn near_identical_questions_are_one_group_and_one_answer() {
    let p = Project::new();
    let _engine = p.start_engine(&[]);
    let first = p.submit(&["node -e 'console.log(1)'"]);
    let open = wait_inbox(&p, 1);
    assert_eq!(open[0]["covers"], "`node -e …`", "{open:#?}");
    let second = p.submit(&["node -e 'console.log(4)'"]);
    let open = wait_inbox(&p, 2);
    let seen: Vec<Value> = open
        .iter()
        .map(|q| json!([q["task_id"], q["batch"]]))
        .collect();
    assert_eq!(seen, [json!([first, 1]), json!([second, 1])], "{open:#?}");
    assert_eq!(open[0]["group"], open[1]["group"]);
    assert_eq!(open[0]["similar"], json!([id_of(&open[1])]));
    let said = answer(&p, &[&id_of(&open[0]), "allow", "--all"]);
    assert!(said.contains("(and 1 similar question)"), "{said}");
    for task in [&first, &second] {
        assert_eq!(p.wait_finished(task, LONG)["status"], "succeeded");
    }
}

#[test]
fn remember_session_covers_the_same_shape_and_nothing_more_dangerous() {
    let p = Project::new();
    p.write(".env", "TOKEN=secret\n");
    p.write(
        ".bosun/workflows/node.yaml",
        r#"
steps:
  - { id: one, skill: shell, with: { run: "node -e 'console.log(1)'" } }
  - { id: four, skill: shell, with: { run: "node -e 'console.log(4)'" } }
  - { id: secret, skill: shell, with: { run: "node -e 'console.log(5)' < .env" } }
"#,
    );
    let _engine = p.start_engine(&[]);
    let task = p.submit(&["--workflow", "node", "node scripts"]);
    let q = wait_inbox(&p, 1).remove(0);
    assert_eq!(q["step_id"], "one");
    let said = answer(&p, &[&id_of(&q), "allow", "--remember", "session"]);
    assert!(
        said.contains("remembered for `node -e …` until the engine stops"),
        "{said}"
    );
    // `four` is decided by the remembered answer; `secret` has the same shape but reads a
    // secret, so it is asked.
    let q = wait_inbox(&p, 1).remove(0);
    assert_eq!(q["step_id"], "secret", "{q:#}");
    answer(&p, &[&id_of(&q), "deny"]);
    assert_eq!(p.wait_finished(&task, LONG)["status"], "failed");
    let by = |s: &str, c: &str, d: &str| (s.to_string(), c.to_string(), d.to_string());
    assert_eq!(
        deciders(&p, &task),
        [
            by("four", "allow", "remembered:session"),
            by("one", "allow", "user"),
            by("secret", "deny", "user"),
        ]
    );
    // Another task is covered too; other options are not the same shape.
    let again = p.submit(&["node -e 'console.log(7)'"]);
    assert_eq!(p.wait_finished(&again, LONG)["status"], "succeeded");
    let other = p.submit(&["node --no-warnings -e 'console.log(7)'"]);
    let q = wait_inbox(&p, 1).remove(0);
    assert_eq!(q["task_id"], other.as_str());
    answer(&p, &[&id_of(&q), "deny"]);
}
