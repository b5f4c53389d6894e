//! `bosun export` through the real binary: a task of two shell steps, one of which fails and
//! asks what to do, answered with `bosun answer`, exported while the engine runs (to stdout)
//! and after it stopped (to a file, mode 0600): the document holds the workflow as run, the
//! inputs, both steps with their output, the decisions and the question, the task's events
//! and its own audit records, not another task's. A bad id or output path is exit 2.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use serde_json::{Value, json};
use support::agents::{answer, wait_for_question};
use support::{Project, step_status};

const LONG: Duration = Duration::from_secs(30);

/// Two shell steps; the first fails until `fixed` exists, and a failure asks.
const CHECKED: &str = r#"
description: Check a thing, then report
on_failure: ask
inputs:
  name: { required: true }
steps:
  - { id: check, skill: shell, with: { run: "echo checking {{ inputs.name }}; echo warn >&2; test -e fixed" } }
  - { id: report, skill: shell, with: { run: "echo report for {{ inputs.name }}" } }
"#;

const OTHER: &str = r#"
steps:
  - { id: hello, skill: shell, with: { run: "echo from the other task" } }
"#;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn array<'a>(doc: &'a Value, key: &str) -> &'a Vec<Value> {
    doc[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is not an array: {doc:#}"))
}

/// Runs the other task, then CHECKED with its question answered; returns both ids.
fn run_both(p: &Project) -> (String, String) {
    let other = p.submit(&["--workflow", "other", "another task"]);
    assert_eq!(p.wait_finished(&other, LONG)["status"], "succeeded");
    let task = p.submit(&["--workflow", "checked", "--input", "name=ada", "check ada"]);
    p.wait_for(&task, LONG, |t| step_status(t, "check") == Some("waiting"));
    let question = wait_for_question(p, LONG);
    assert_eq!(question["kind"], "failure", "{question:#}");
    p.write("fixed", "");
    answer(p, &question, "retry");
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "succeeded", "{done:#}");
    (other, task)
}

fn assert_header(doc: &Value, p: &Project) {
    assert_eq!(doc["format"], "bosun-task-export/1");
    assert_eq!(doc["bosun_version"], env!("CARGO_PKG_VERSION"));
    let at = doc["exported_at"].as_str().expect("exported_at");
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("exported_at `{at}` is not RFC 3339: {e}"));
    let root = std::fs::canonicalize(p.root()).expect("root");
    assert_eq!(doc["project_root"], json!(root.display().to_string()));
}

fn assert_steps(doc: &Value) {
    let runs = array(doc, "runs");
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["current"], true);
    let steps = array(&runs[0], "steps");
    let check = &steps[0];
    assert_eq!(
        [
            &check["id"],
            &check["status"],
            &check["attempts"],
            &check["exit_code"]
        ],
        [&json!("check"), &json!("succeeded"), &json!(2), &json!(0)],
        "{check:#}"
    );
    assert_eq!(check["output"], "checking ada\n");
    assert_eq!(check["stderr"], "warn\n");
    let report = &steps[1];
    assert_eq!(
        [&report["id"], &report["status"], &report["output"]],
        [
            &json!("report"),
            &json!("succeeded"),
            &json!("report for ada\n")
        ],
        "{report:#}"
    );
    for step in steps {
        for field in ["started_at", "finished_at"] {
            assert!(
                step[field].as_str().is_some_and(|t| t.ends_with('Z')),
                "{step:#}"
            );
        }
    }
}

fn assert_decisions(doc: &Value, task: &str) {
    let decisions = array(doc, "decisions");
    assert!(
        decisions.iter().all(|d| d["task_id"] == task),
        "{decisions:#?}"
    );
    let asked: Vec<&Value> = decisions
        .iter()
        .filter(|d| d["kind"] == "failure")
        .collect();
    assert_eq!(asked.len(), 1, "{decisions:#?}");
    assert_eq!(
        [
            &asked[0]["step_id"],
            &asked[0]["choice"],
            &asked[0]["decided_by"]
        ],
        [&json!("check"), &json!("retry"), &json!("user")]
    );
    // The policy's checks before each command are decisions too.
    assert!(
        decisions
            .iter()
            .any(|d| d["kind"] == "command" && d["step_id"] == "report")
    );

    let escalations = array(doc, "escalations");
    assert_eq!(escalations.len(), 1, "{escalations:#?}");
    let q = &escalations[0];
    assert_eq!(
        [&q["kind"], &q["choice"], &q["decided_by"]],
        [&json!("failure"), &json!("retry"), &json!("user")],
        "{q:#}"
    );
    assert!(q["answered_at"].is_string(), "{q:#}");
}

fn assert_events_and_audit(doc: &Value, p: &Project, task: &str, other: &str) {
    let events = array(doc, "events");
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    for kind in [
        "task_submitted",
        "escalation_opened",
        "escalation_closed",
        "task_finished",
    ] {
        assert!(kinds.contains(&kind), "no {kind}: {kinds:?}");
    }
    assert!(
        events.iter().all(|e| e["payload"]["task_id"] == task),
        "{events:#?}"
    );

    let audit = array(doc, "audit");
    assert!(audit.iter().all(|r| r["task_id"] == task), "{audit:#?}");
    assert!(
        audit
            .iter()
            .any(|r| r["kind"] == "decision" && r["choice"] == "retry"),
        "{audit:#?}"
    );
    let ran =
        |r: &Value| r["kind"] == "command" && r["argv"].to_string().contains("report for ada");
    assert!(audit.iter().any(ran), "{audit:#?}");
    assert!(audit.iter().all(|r| r["hash"].is_string()), "{audit:#?}");
    // The log does hold the other task's records: they were left out.
    let log = p.read(".bosun/audit.jsonl");
    assert!(log.contains(&format!("\"task_id\":\"{other}\"")), "{log}");
}

#[test]
fn a_task_exports_its_workflow_steps_decisions_and_only_its_own_audit_records() {
    let p = Project::new();
    p.write(".bosun/workflows/checked.yaml", CHECKED);
    p.write(".bosun/workflows/other.yaml", OTHER);
    let engine = p.start_engine(&[]);
    let (other, task) = run_both(&p);

    // With the engine running, by a prefix of the id, to stdout.
    let out = p.bosun(&["export", &task[..6], "--out", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let live: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(live["task"]["id"], json!(task));
    assert_header(&live, &p);

    // With no engine, to the default file in the current directory.
    engine.stop();
    let out = p.bosun_from_root(&["export", &task]);
    assert!(out.status.success(), "{}", stderr(&out));
    let name = format!("bosun-task-{task}.json");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), name);
    let file = p.path(&name);
    let mode = std::fs::metadata(&file)
        .expect("the file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let doc: Value = serde_json::from_str(&p.read(&name)).expect("the file is JSON");

    assert_header(&doc, &p);
    assert_eq!(doc["task"]["status"], "succeeded");
    assert_eq!(doc["task"]["description"], "check ada");
    assert_eq!(doc["workflow"]["name"], "checked");
    let definition = &doc["workflow"]["plan"]["workflow"];
    assert_eq!(definition["description"], "Check a thing, then report");
    assert!(
        definition.to_string().contains("test -e fixed"),
        "{definition:#}"
    );
    assert_eq!(doc["inputs"], json!({"name": "ada"}));
    assert_steps(&doc);
    assert_decisions(&doc, &task);
    assert_events_and_audit(&doc, &p, &task, &other);
    assert_eq!(doc["transcripts"], json!([]));
    assert_eq!(doc["cost"]["cost_usd"], 0.0);
    assert_eq!(doc["worktree"], Value::Null);
}

#[test]
fn an_unknown_task_or_a_missing_directory_is_exit_2_naming_it() {
    let p = Project::new();
    let out = p.bosun_from_root(&["export", "t-nosuchid"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("t-nosuchid"), "{}", stderr(&out));
    assert!(!p.path("bosun-task-t-nosuchid.json").exists());

    // A queued task (no engine ever ran) exports; a directory that is not there is refused
    // and nothing is left behind.
    p.write(".bosun/workflows/other.yaml", OTHER);
    let task = p.submit(&["--workflow", "other", "waits in the queue"]);
    let out = p.bosun_from_root(&["export", &task, "--out", "no/such/dir/x.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no/such/dir"), "{}", stderr(&out));
    assert!(!p.path("no").exists());

    let out = p.bosun(&["export", &task, "--out", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["task"]["status"], "queued");
    assert_eq!(doc["runs"], json!([]));
}
