//! Failed steps are decided by risk, like every other decision, through the real binary: a
//! low- or medium-risk skill's failure fails its task at once with a recorded decision
//! (`decided_by: policy`, the error in the reason), a high-risk one asks retry / skip / abort,
//! and `on_failure: fail | ask` on the workflow or the step overrides either way. The asking
//! half of `on_failure: ask` (retry, skip) is in `tests/escalation.rs`.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{EngineProcess, Project, eventually};

const LONG: Duration = Duration::from_secs(30);

/// A project skill like `shell` but of the given risk, whose commands a rule allows (so the
/// only question left is what to do about its failure).
fn skill_of_risk(p: &Project, name: &str, risk: &str) {
    p.write(
        ".bosun/policy.yaml",
        &format!("rules:\n  - id: run-{name}\n    match: {{ kind: command, skill: {name} }}\n    action: allow\n"),
    );
    p.write(
        &format!(".bosun/skills/{name}.yaml"),
        &format!(
            "name: {name}\nkind: command\ninputs:\n  run: {{ required: true }}\ncommand: [\"sh\", \"-c\", \"{{{{ run }}}}\"]\nrisk: {risk}\n"
        ),
    );
}

fn start(p: &Project, workflow: &str) -> EngineProcess {
    p.write(".bosun/workflows/w.yaml", workflow);
    p.start_engine(&[])
}

fn json_of(p: &Project, args: &[&str]) -> Vec<Value> {
    let out = p.bosun(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The one failure decision of the task.
fn failure_decision(p: &Project, task: &str) -> Value {
    let all = json_of(p, &["decisions", "--task", task, "--json"]);
    let found: Vec<&Value> = all.iter().filter(|d| d["kind"] == "failure").collect();
    assert_eq!(found.len(), 1, "{all:#?}");
    found[0].clone()
}

#[test]
fn a_medium_risk_failure_fails_its_task_at_once_with_a_recorded_decision() {
    let p = Project::new();
    let _engine = start(
        &p,
        "steps:\n  - { id: test, skill: shell, with: { run: \"echo 'boom: 3 tests failed' >&2; exit 3\" } }\n  - { id: later, skill: shell, with: { run: \"touch later.ran\" } }\n",
    );
    let task = p.submit(&["--workflow", "w", "run the tests"]);
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "failed", "{done:#}");
    assert_eq!(Project::step(&done, "later")["status"], "skipped");
    assert!(!p.path("later.ran").exists());
    let d = failure_decision(&p, &task);
    assert_eq!(
        (&d["choice"], &d["decided_by"]),
        (&json!("abort"), &json!("policy")),
        "{d:#}"
    );
    let reason = d["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("medium risk"), "{reason}");
    assert!(
        json_of(&p, &["inbox", "--json"]).is_empty(),
        "nothing was asked"
    );
}

#[test]
fn a_high_risk_failure_asks_and_the_answer_decides() {
    let p = Project::new();
    skill_of_risk(&p, "deploy", "high");
    let _engine = start(
        &p,
        "steps:\n  - { id: ship, skill: deploy, with: { run: \"test -e ready\" } }\n",
    );
    let task = p.submit(&["--workflow", "w", "ship it"]);
    eventually(LONG, "the failure question", || {
        !json_of(&p, &["inbox", "--json"]).is_empty()
    });
    let open = json_of(&p, &["inbox", "--json"]);
    let q = &open[0];
    assert_eq!(
        (&q["kind"], &q["risk"]),
        (&json!("failure"), &json!("high")),
        "{q:#}"
    );
    p.write("ready", "");
    let id = q["id"].as_str().expect("escalation id").to_string();
    let out = p.bosun(&["answer", &id, "retry"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "succeeded", "{done:#}");
    let d = failure_decision(&p, &task);
    assert_eq!(
        (&d["choice"], &d["decided_by"]),
        (&json!("retry"), &json!("user"))
    );
}

#[test]
fn on_failure_fail_overrides_a_high_risk_skill_and_is_recorded() {
    let p = Project::new();
    skill_of_risk(&p, "deploy", "high");
    let _engine = start(
        &p,
        "steps:\n  - { id: ship, skill: deploy, with: { run: \"exit 1\" }, on_failure: fail }\n",
    );
    let task = p.submit(&["--workflow", "w", "ship it"]);
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "failed", "{done:#}");
    let d = failure_decision(&p, &task);
    assert_eq!(
        (&d["choice"], &d["decided_by"]),
        (&json!("abort"), &json!("policy"))
    );
    assert!(
        d["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("on_failure: fail"),
        "{d:#}"
    );
    assert!(json_of(&p, &["inbox", "--json"]).is_empty());
}
