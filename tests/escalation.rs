//! Escalation end to end through the real binary: a `bosun run` engine asks the user (decide
//! steps, risky commands, failed steps), only the asking step waits, `bosun inbox` shows the
//! questions in batches, `bosun answer` (from another process) lets the task go on, deadlines
//! take the declared default, remembered answers and proposed rules decide later questions,
//! questions survive `kill -9`, and every decision lands in the ledger and the audit log.

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{EngineProcess, Project, step_status};
use time::OffsetDateTime;

const LONG: Duration = Duration::from_secs(30);

/// A high-risk "Push?" question; the chosen branch runs, the other is skipped.
fn ship_workflow(timeout: Option<&str>) -> String {
    let timeout = timeout.map(|t| format!(", timeout: {t}"));
    let timeout = timeout.unwrap_or_default();
    format!(
        r#"
steps:
  - id: ship
    decide: {{ question: "Push the release?", options: [push, hold], default: hold, risk: high{timeout} }}
  - {{ id: pushed, if: "steps.ship.choice == 'push'", skill: shell, with: {{ run: "echo pushed >> pushed.ran" }} }}
  - {{ id: held, if: "steps.ship.choice == 'hold'", skill: shell, with: {{ run: "echo held >> held.ran" }} }}
"#
    )
}

/// Writes workflow `name` and starts an engine.
fn with_workflow(p: &Project, name: &str, yaml: &str) -> EngineProcess {
    p.write(&format!(".bosun/workflows/{name}.yaml"), yaml);
    p.start_engine(&[])
}

/// The output of a command that must have succeeded.
fn ok(out: Output, what: &str) -> Output {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed: {stderr}");
    out
}

fn stdout_json(p: &Project, args: &[&str]) -> Value {
    let out = ok(p.bosun(args), &args.join(" "));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"))
}

/// A verb that prints a JSON array.
fn list(p: &Project, args: &[&str]) -> Vec<Value> {
    let list = stdout_json(p, args);
    list.as_array().cloned().unwrap_or_else(|| panic!("{list}"))
}

fn inbox(p: &Project) -> Vec<Value> {
    list(p, &["inbox", "--json"])
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

fn id_of(q: &Value) -> String {
    q["id"].as_str().expect("escalation id").to_string()
}

fn instant(text: &Value) -> OffsetDateTime {
    let text = text.as_str().expect("a timestamp");
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("`{text}` is not RFC 3339: {e}"))
}

/// `bosun answer ARGS...`, which must succeed; returns its stdout.
fn answer(p: &Project, args: &[&str]) -> String {
    let all: Vec<&str> = std::iter::once("answer")
        .chain(args.iter().copied())
        .collect();
    let out = ok(p.bosun(&all), &all.join(" "));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks that the one decision of `kind` about `step` of `task` chose `choice` and was made
/// by `by`; returns it.
fn decided(p: &Project, (task, kind, step): (&str, &str, &str), choice: &str, by: &str) -> Value {
    let all = list(p, &["decisions", "--task", task, "--json"]);
    let found: Vec<&Value> = all
        .iter()
        .filter(|d| d["kind"] == kind && d["step_id"] == step)
        .collect();
    assert_eq!(found.len(), 1, "{kind} decisions of {step}: {all:#?}");
    let d = found[0];
    assert_eq!(
        (&d["choice"], &d["decided_by"]),
        (&json!(choice), &json!(by)),
        "{d:#}"
    );
    d.clone()
}

fn git(p: &Project, args: &[&str]) -> Output {
    std::process::Command::new("git")
        .arg("-C")
        .arg(p.root())
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .expect("run git")
}

/// The project becomes a git repository on branch `feature`, with a bare remote `origin`
/// inside it, so a push is real and harmless.
fn git_repo_with_remote(p: &Project) {
    p.write("README", "hello\n");
    let remote = p.path("remote.git").display().to_string();
    for args in [
        &["init", "-q", "-b", "feature"][..],
        &["add", "README"],
        &["commit", "-q", "-m", "first"],
        &["init", "-q", "--bare", &remote],
        &["remote", "add", "origin", &remote],
    ] {
        ok(git(p, args), &format!("git {args:?}"));
    }
}

fn remote_has_feature(p: &Project) -> bool {
    let args = ["--git-dir", "remote.git", "rev-parse", "-q", "--verify"];
    let out = git(p, &[&args[..], &["refs/heads/feature"]].concat());
    out.status.success()
}

/// Waits until the task waits on its step `step`.
fn wait_waiting(p: &Project, task: &str, step: &str) -> Value {
    p.wait_for(task, LONG, |t| {
        t["status"] == "waiting" && step_status(t, step) == Some("waiting")
    })
}

/// Checks that the branch `choice` of the ship workflow ran and the other was skipped.
fn assert_took(task: &Value, choice: &str) {
    let (ran, skipped) = match choice {
        "push" => ("pushed", "held"),
        _ => ("held", "pushed"),
    };
    let status = |id| Project::step(task, id)["status"].clone();
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(Project::step(task, "ship")["choice"], choice, "{task:#}");
    assert_eq!(
        (status(ran), status(skipped)),
        (json!("succeeded"), json!("skipped"))
    );
}

#[test]
fn a_high_risk_question_waits_in_the_inbox_and_the_answer_picks_the_branch() {
    let p = Project::new();
    let _engine = with_workflow(&p, "ship", &ship_workflow(None));
    let task = p.submit(&["--workflow", "ship", "release"]);
    let waiting = wait_waiting(&p, &task, "ship");
    assert_eq!(step_status(&waiting, "pushed"), Some("pending"));
    let open = wait_inbox(&p, 1);
    let q = &open[0];
    assert_eq!(q["task_id"], task.as_str());
    assert_eq!(q["step_id"], "ship");
    assert_eq!(q["question"], "Push the release?");
    assert_eq!(q["options"], json!(["push", "hold"]));
    assert_eq!(q["default"], "hold");
    assert_eq!((&q["risk"], &q["kind"]), (&json!("high"), &json!("decide")));
    assert_eq!(q["workflow"], "ship");
    assert_eq!((&q["batch"], &q["notified"]), (&json!(1), &json!(true)));
    assert_eq!(q["similar"], json!([]));
    assert!(q["reason"].as_str().is_some_and(|r| !r.is_empty()), "{q:#}");
    // Without a timeout of its own, the question has escalation.timeout (300s) to be answered.
    let left = instant(&q["deadline"]) - instant(&q["created_at"]);
    assert!((left.whole_seconds() - 300).abs() <= 1, "{q:#}");

    let id = id_of(q);
    assert!(answer(&p, &[&id, "push"]).contains("push"));
    assert_took(&p.wait_finished(&task, LONG), "push");
    assert_eq!(p.read("pushed.ran"), "pushed\n");
    let d = decided(&p, (&task, "decide", "ship"), "push", "user");
    assert_eq!(d["escalation_id"], id.as_str());
    assert!(inbox(&p).is_empty());
}

#[test]
fn an_unanswered_question_takes_its_default_at_the_deadline() {
    let p = Project::new();
    let _engine = with_workflow(&p, "ship", &ship_workflow(Some("1s")));
    let task = p.submit(&["--workflow", "ship", "release"]);
    let asked = wait_inbox(&p, 1);
    assert_took(&p.wait_finished(&task, LONG), "hold");
    assert!(!p.path("pushed.ran").exists());
    let d = decided(&p, (&task, "decide", "ship"), "hold", "timeout");
    assert_eq!(d["escalation_id"], asked[0]["id"]);
    assert!(inbox(&p).is_empty());
}

#[test]
fn seven_questions_come_in_batches_of_five_and_two_and_one_answer_covers_the_group() {
    let p = Project::new();
    let _engine = with_workflow(&p, "ship", &ship_workflow(None));
    let tasks: Vec<String> = (0..7)
        .map(|i| p.submit(&["--workflow", "ship", &format!("release {i}")]))
        .collect();
    let open = wait_inbox(&p, 7);
    let batches: Vec<&Value> = open.iter().map(|q| &q["batch"]).collect();
    assert_eq!(batches, [1, 1, 1, 1, 1, 2, 2], "{open:#?}");
    // Compared as instants: RFC 3339 texts of different precision do not sort as strings.
    let created: Vec<OffsetDateTime> = open.iter().map(|q| instant(&q["created_at"])).collect();
    assert!(created.is_sorted(), "oldest first: {open:#?}");
    let ids: Vec<String> = open.iter().map(id_of).collect();
    for q in &open {
        assert_eq!(q["group"], open[0]["group"], "{open:#?}");
        let mut similar: Vec<String> = serde_json::from_value(q["similar"].clone()).expect("ids");
        similar.sort();
        let mut others: Vec<String> = ids.iter().filter(|i| **i != id_of(q)).cloned().collect();
        others.sort();
        assert_eq!(similar, others, "{q:#}");
    }

    let said = answer(&p, &[&ids[0], "push", "--all"]);
    assert!(said.contains("6 similar"), "{said}");
    for task in &tasks {
        assert_took(&p.wait_finished(task, LONG), "push");
        decided(&p, (task, "decide", "ship"), "push", "user");
    }
    assert!(inbox(&p).is_empty());
}

#[test]
fn a_waiting_question_holds_only_its_own_step() {
    let p = Project::new();
    let _engine = with_workflow(
        &p,
        "side",
        r#"
steps:
  - id: both
    parallel:
      - id: ask
        decide: { question: "Deploy?", options: [yes, no], default: no, risk: critical }
      - { id: build, skill: shell, with: { run: "touch built" } }
"#,
    );
    let first = p.submit(&["--workflow", "side", "build while asking"]);
    let waiting = p.wait_for(&first, LONG, |t| {
        step_status(t, "build") == Some("succeeded") && step_status(t, "ask") == Some("waiting")
    });
    assert_eq!(waiting["status"], "waiting", "{waiting:#}");
    assert!(p.path("built").exists());

    let other = p.submit(&["echo independent"]);
    let other = p.wait_finished(&other, LONG);
    assert_eq!(other["status"], "succeeded", "{other:#}");
    let still = p.show(&first);
    assert_eq!(still["status"], "waiting", "{still:#}");
    assert_eq!(step_status(&still, "ask"), Some("waiting"));

    answer(&p, &[&id_of(&wait_inbox(&p, 1)[0]), "yes"]);
    let done = p.wait_finished(&first, LONG);
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(Project::step(&done, "ask")["choice"], "yes");
    assert_eq!(Project::step(&done, "both")["status"], "succeeded");
}

/// `on_failure: ask` makes a medium-risk failure ask (by risk alone it would fail at once).
const FAILING: &str = r#"
on_failure: ask
steps:
  - { id: check, skill: shell, with: { run: "test -e fixed" } }
  - { id: later, skill: shell, with: { run: "touch later.ran" } }
"#;

/// Starts FAILING and waits for its failure question.
fn failure_question(p: &Project) -> (String, Value) {
    let task = p.submit(&["--workflow", "failing", "check something"]);
    wait_waiting(p, &task, "check");
    let q = wait_inbox(p, 1).remove(0);
    assert_eq!(
        (&q["kind"], &q["step_id"]),
        (&json!("failure"), &json!("check"))
    );
    assert_eq!(q["options"], json!(["retry", "skip", "abort"]));
    assert_eq!(q["default"], "abort");
    (task, q)
}

#[test]
fn retry_after_a_failure_runs_the_step_again() {
    let p = Project::new();
    let _engine = with_workflow(&p, "failing", FAILING);
    let (task, q) = failure_question(&p);
    p.write("fixed", "");
    answer(&p, &[&id_of(&q), "retry"]);
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(Project::step(&done, "check")["status"], "succeeded");
    assert_eq!(Project::step(&done, "check")["attempts"], 2);
    assert!(p.path("later.ran").exists());
    decided(&p, (&task, "failure", "check"), "retry", "user");
}

#[test]
fn skip_after_a_failure_goes_on_with_the_step_skipped() {
    let p = Project::new();
    let _engine = with_workflow(&p, "failing", FAILING);
    let (task, q) = failure_question(&p);
    answer(&p, &[&id_of(&q), "skip"]);
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(Project::step(&done, "check")["status"], "skipped");
    assert_eq!(Project::step(&done, "check")["attempts"], 1);
    assert_eq!(Project::step(&done, "later")["status"], "succeeded");
    assert!(p.path("later.ran").exists());
}

#[test]
fn an_unanswered_failure_aborts_the_task_at_the_deadline() {
    let p = Project::new();
    p.write(".bosun/config.yaml", "escalation:\n  timeout: 1s\n");
    let _engine = with_workflow(&p, "failing", FAILING);
    let task = p.submit(&["--workflow", "failing", "check something"]);
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "failed", "{done:#}");
    assert_eq!(Project::step(&done, "check")["status"], "failed");
    assert_eq!(Project::step(&done, "later")["status"], "skipped");
    assert!(!p.path("later.ran").exists());
    decided(&p, (&task, "failure", "check"), "abort", "timeout");
}

const PUSH: &str = r#"
steps:
  - { id: push, skill: shell, with: { run: "git push origin feature" } }
"#;

/// Starts PUSH in a real repository and waits for the command question.
fn push_question(p: &Project) -> (String, Value) {
    git_repo_with_remote(p);
    let task = p.submit(&["--workflow", "push", "publish the branch"]);
    wait_waiting(p, &task, "push");
    let q = wait_inbox(p, 1).remove(0);
    assert_eq!(
        (&q["kind"], &q["skill"]),
        (&json!("command"), &json!("shell"))
    );
    assert_eq!(q["options"], json!(["allow", "deny"]));
    assert_eq!(
        (&q["default"], &q["risk"]),
        (&json!("deny"), &json!("high"))
    );
    let text = q["question"].as_str().unwrap_or("");
    assert!(text.contains("git push origin feature"), "{q:#}");
    assert!(!remote_has_feature(p), "pushed before the answer");
    (task, q)
}

#[test]
fn a_push_is_asked_about_and_deny_fails_the_step_without_running_it() {
    let p = Project::new();
    let _engine = with_workflow(&p, "push", PUSH);
    let (task, q) = push_question(&p);
    answer(&p, &[&id_of(&q), "deny"]);
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "failed", "{done:#}");
    let step = Project::step(&done, "push");
    assert_eq!(step["status"], "failed");
    assert_eq!(
        step["attempts"], 0,
        "a denied command never starts: {step:#}"
    );
    let error = step["error"].as_str().unwrap_or("");
    assert!(error.contains("denied"), "{step:#}");
    assert!(!remote_has_feature(&p));
    decided(&p, (&task, "command", "push"), "deny", "user");
}

#[test]
fn a_push_the_user_allows_runs() {
    let p = Project::new();
    let _engine = with_workflow(&p, "push", PUSH);
    let (task, q) = push_question(&p);
    answer(&p, &[&id_of(&q), "allow"]);
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert!(remote_has_feature(&p));
    decided(&p, (&task, "command", "push"), "allow", "user");
}

#[test]
fn remember_task_answers_the_same_command_again_for_that_task_only() {
    let p = Project::new();
    git_repo_with_remote(&p);
    let _engine = with_workflow(
        &p,
        "twice",
        r#"
steps:
  - { id: first, skill: shell, with: { run: "git push origin feature" } }
  - { id: second, skill: shell, with: { run: "git push origin feature" } }
"#,
    );
    let task = p.submit(&["--workflow", "twice", "dry runs"]);
    let q = wait_inbox(&p, 1).remove(0);
    assert_eq!(q["step_id"], "first");
    let said = answer(&p, &[&id_of(&q), "allow", "--remember", "task"]);
    assert!(said.contains("remembered"), "{said}");
    let done = p.wait_finished(&task, LONG);
    assert_eq!(done["status"], "succeeded", "{done:#}");
    decided(&p, (&task, "command", "first"), "allow", "user");
    let second = decided(&p, (&task, "command", "second"), "allow", "remembered:task");
    assert_eq!(second["escalation_id"], Value::Null, "{second:#}");

    // Another task of the same workflow is asked again.
    let other = p.submit(&["--workflow", "twice", "dry runs again"]);
    let q = wait_inbox(&p, 1).remove(0);
    assert_eq!(q["task_id"], other.as_str());
    answer(&p, &[&id_of(&q), "deny"]);
    assert_eq!(p.wait_finished(&other, LONG)["status"], "failed");
}

#[test]
fn remember_rule_writes_a_valid_rule_that_decides_later_tasks() {
    let p = Project::new();
    let _engine = with_workflow(&p, "ship", &ship_workflow(None));
    let first = p.submit(&["--workflow", "ship", "release 1"]);
    let id = id_of(&wait_inbox(&p, 1)[0]);
    let said = answer(&p, &[&id, "push", "--remember", "rule"]);
    assert!(said.contains(&format!("remembered-{id}")), "{said}");
    assert_took(&p.wait_finished(&first, LONG), "push");

    let policy = p.read(".bosun/policy.yaml");
    assert!(policy.contains("# Proposed by"), "{policy}");
    assert!(policy.contains(&format!("id: remembered-{id}")), "{policy}");
    ok(p.bosun(&["validate"]), "validate");

    let second = p.submit(&["--workflow", "ship", "release 2"]);
    assert_took(&p.wait_finished(&second, LONG), "push");
    let rule = format!("rule:remembered-{id}");
    let d = decided(&p, (&second, "decide", "ship"), "push", &rule);
    assert_eq!(
        d["escalation_id"],
        Value::Null,
        "decided without asking: {d:#}"
    );
    assert!(inbox(&p).is_empty());
}

#[test]
fn remember_rule_for_a_write_to_bosuns_files_names_the_place_and_is_not_asked_again() {
    let p = Project::new();
    let _engine = with_workflow(
        &p,
        "note",
        "steps:\n  - { id: note, skill: shell, with: { run: \"echo ok > .bosun/notes.txt\" } }\n",
    );
    let first = p.submit(&["--workflow", "note", "note 1"]);
    let q = wait_inbox(&p, 1).remove(0);
    assert!(
        q["reason"]
            .as_str()
            .is_some_and(|r| r.contains("boundary.bosun-write")),
        "{q:#}"
    );
    answer(&p, &[&id_of(&q), "allow", "--remember", "rule"]);
    assert_eq!(p.wait_finished(&first, LONG)["status"], "succeeded");
    let policy = p.read(".bosun/policy.yaml");
    assert!(policy.contains("path: [\".bosun/notes.txt\"]"), "{policy}");

    // A rule naming only the command would not open Bosun's files: this one names the place.
    let second = p.submit(&["--workflow", "note", "note 2"]);
    assert_eq!(p.wait_finished(&second, LONG)["status"], "succeeded");
    let by = format!("rule:remembered-{}", id_of(&q));
    let d = decided(&p, (&second, "command", "note"), "allow", &by);
    assert_eq!(d["escalation_id"], Value::Null, "{d:#}");
}

#[test]
fn an_open_question_survives_kill_9_and_its_answer_lets_the_task_go_on() {
    let p = Project::new();
    let engine = with_workflow(&p, "ship", &ship_workflow(None));
    let task = p.submit(&["--workflow", "ship", "release"]);
    let before = wait_inbox(&p, 1).remove(0);
    engine.kill_hard();

    let down = wait_inbox(&p, 1).remove(0);
    assert_eq!(
        (&down["id"], &down["deadline"]),
        (&before["id"], &before["deadline"])
    );
    let _engine = p.start_engine(&[]);
    // Once a task submitted after the restart has run, the engine has taken up the old one.
    let later = p.submit(&["echo after restart"]);
    assert_eq!(p.wait_finished(&later, LONG)["status"], "succeeded");
    let again = wait_waiting(&p, &task, "ship");
    assert_eq!(step_status(&again, "pushed"), Some("pending"));
    let after = wait_inbox(&p, 1).remove(0);
    for field in ["id", "deadline", "created_at", "batch"] {
        assert_eq!(after[field], before[field], "{field}: {after:#}");
    }

    answer(&p, &[&id_of(&after), "push"]);
    assert_took(&p.wait_finished(&task, LONG), "push");
    assert_eq!(p.read("pushed.ran"), "pushed\n", "the branch ran once");
    assert!(inbox(&p).is_empty(), "no duplicate question was left open");
}

#[test]
fn past_max_per_hour_a_new_batch_waits_without_notifying() {
    let p = Project::new();
    let config = "escalation:\n  batch_size: 1\n  max_per_hour: 1\n";
    p.write(".bosun/config.yaml", config);
    let _engine = with_workflow(&p, "ship", &ship_workflow(None));
    let first = p.submit(&["--workflow", "ship", "release 1"]);
    wait_inbox(&p, 1);
    let second = p.submit(&["--workflow", "ship", "release 2"]);
    let open = wait_inbox(&p, 2);
    let seen: Vec<Value> = open
        .iter()
        .map(|q| json!([q["task_id"], q["batch"], q["notified"]]))
        .collect();
    assert_eq!(seen, [json!([first, 1, true]), json!([second, 2, false])]);
}

#[test]
fn stats_count_who_decided_and_the_audit_log_catches_an_edit() {
    let p = Project::new();
    let engine = with_workflow(
        &p,
        "mix",
        r#"
steps:
  - id: plan
    decide: { question: "Which plan?", options: [small, big], default: small, risk: medium }
  - { id: build, skill: shell, with: { run: "echo build" } }
  - id: ship
    decide: { question: "Push?", options: [push, hold], default: hold, risk: high }
"#,
    );
    let task = p.submit(&["--workflow", "mix", "mixed"]);
    answer(&p, &[&id_of(&wait_inbox(&p, 1)[0]), "push"]);
    assert_eq!(p.wait_finished(&task, LONG)["status"], "succeeded");

    let stats = stdout_json(&p, &["stats", "--json"]);
    for period in ["today", "all_time"] {
        let c = &stats[period];
        // The check before `echo build` is routine: the rate counts the two `decide` steps.
        let counts = json!([c["decisions"], c["routine"], c["autonomous"], c["asked"]]);
        assert_eq!(counts, json!([3, 1, 1, 1]), "{stats:#}");
        assert_eq!(c["by"], json!({"policy": 2, "user": 1}), "{stats:#}");
        let rate = c["autonomy_rate"].as_f64().expect("a rate");
        assert!((rate - 0.5).abs() < 1e-9, "{stats:#}");
    }
    assert_eq!(stats["open_escalations"], 0);
    assert_eq!(stats["tasks"], json!({"succeeded": 1}));

    engine.stop();
    ok(p.bosun(&["audit", "verify"]), "audit verify");
    let log = p.read(".bosun/audit.jsonl");
    assert!(log.contains(r#""kind":"command""#), "{log}");
    let mut lines: Vec<String> = log.lines().map(String::from).collect();
    let at = lines
        .iter()
        .position(|l| l.contains(r#""choice":"push""#))
        .expect("the user's answer is in the audit log");
    lines[at] = lines[at].replace(r#""choice":"push""#, r#""choice":"hold""#);
    p.write(".bosun/audit.jsonl", &(lines.join("\n") + "\n"));
    let verify = p.bosun(&["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&verify.stderr);
    let named = format!("audit.jsonl:{}: ", at + 1);
    assert!(
        stderr.lines().next().unwrap_or("").contains(&named),
        "{named}: {stderr}"
    );
}

#[test]
fn a_wrong_choice_leaves_the_question_open_and_a_second_answer_is_refused() {
    let p = Project::new();
    let _engine = with_workflow(&p, "ship", &ship_workflow(None));
    let task = p.submit(&["--workflow", "ship", "release"]);
    let id = id_of(&wait_inbox(&p, 1)[0]);

    let wrong = p.bosun(&["answer", &id, "notanoption"]);
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("push, hold"), "{stderr}");
    assert_eq!(id_of(&wait_inbox(&p, 1)[0]), id);
    assert_eq!(p.show(&task)["status"], "waiting");

    // A unique prefix of the id and of the option is enough.
    answer(&p, &[&id[..id.len() - 3], "pu"]);
    assert_took(&p.wait_finished(&task, LONG), "push");
    let again = p.bosun(&["answer", &id, "hold"]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    let said = stderr.contains("already answered") && stderr.contains("by user");
    assert!(said, "{stderr}");
    decided(&p, (&task, "decide", "ship"), "push", "user");
}
