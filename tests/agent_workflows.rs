//! The bundled agent workflows end to end: `bosun run` drives the real `claude` CLI (against the
//! kit's fake model server) through `fix-tests`, `implement` and `review`, their own shell steps
//! and the agent's tool calls all judged by the policy, their questions answered with
//! `bosun answer`; and a request in words submitted without `--workflow` goes to an agent
//! workflow, `show` saying why.

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::agents::{FakeModel, configure_claude};
use support::{Project, step_status};

const LIMIT: Duration = Duration::from_secs(90);

fn git(p: &Project, args: &[&str]) -> Output {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(p.root())
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn git_text(p: &Project, args: &[&str]) -> String {
    String::from_utf8_lossy(&git(p, args).stdout).into_owned()
}

/// Commits every file written so far as the first commit; Bosun's and the kit's folders are
/// ignored, so only the project's own changes are ever committed.
fn git_repo(p: &Project) {
    p.write(".gitignore", ".bosun/\n.fake/\n.agent-home/\n.agent-tmp/\n");
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["config", "user.name", "Test"]);
    git(p, &["config", "user.email", "test@example.com"]);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "first"]);
}

/// A test command that fails, saying what it found, until `state.txt` says `fixed`.
fn broken_project(p: &Project) {
    p.write(
        "check.sh",
        "grep -q fixed state.txt && exit 0\necho \"FAIL: state.txt says $(cat state.txt)\"\nexit 1\n",
    );
    p.write("state.txt", "broken\n");
}

fn inbox(p: &Project) -> Vec<Value> {
    let out = p.bosun(&["inbox", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("inbox --json is JSON")
        .as_array()
        .cloned()
        .expect("an array")
}

/// Waits until `task` asks its one question, and returns it.
fn question(p: &Project, task: &str) -> Value {
    let start = Instant::now();
    loop {
        let open: Vec<Value> = inbox(p)
            .into_iter()
            .filter(|q| q["task_id"] == task)
            .collect();
        if let [q] = open.as_slice() {
            return q.clone();
        }
        assert!(open.len() < 2, "{open:#?}");
        assert!(
            start.elapsed() < LIMIT,
            "no question; the task: {:#}",
            p.show(task)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn answer(p: &Project, q: &Value, choice: &str) {
    let id = q["id"].as_str().expect("an escalation id");
    let out = p.bosun(&["answer", id, choice]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn text(task: &Value, step: &str, field: &str) -> String {
    Project::step(task, step)[field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_request_to_fix_the_tests_goes_to_fix_tests_which_fixes_them_and_commits_when_told() {
    let p = Project::new();
    broken_project(&p);
    git_repo(&p);
    // Without an agent, a request in words that names no workflow is refused, as ever.
    let out = p.bosun(&["submit", "fix the failing tests"]);
    assert_eq!(out.status.code(), Some(2));
    let refused = String::from_utf8_lossy(&out.stderr);
    assert!(
        refused.contains("matches no workflow")
            && refused.contains("With Claude Code installed, requests in words go to it"),
        "{refused}"
    );
    let fake = FakeModel::start(
        &p.path(".fake"),
        json!([
            { "match": "FAIL: state.txt says broken", "bash": "echo fixed > state.txt" },
            { "match": "tool_result", "text": "state.txt said broken; it now says fixed." }
        ]),
    );
    configure_claude(&p, &fake, None, "");
    let engine = p.start_engine(&[]);
    let out = p.bosun(&[
        "submit",
        "--input",
        "test=sh check.sh",
        "fix the failing tests",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("workflow fix-tests: a request in words to fix failing tests"),
        "{stderr}"
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let q = question(&p, &id);
    assert_eq!(q["options"], json!(["commit", "leave"]), "{q:#}");
    let asked = q["question"].as_str().unwrap_or_default();
    assert!(
        asked.contains("The tests pass after Claude Code's fixes") && asked.contains("M state.txt"),
        "{asked}"
    );
    answer(&p, &q, "commit");
    let task = p.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(task["workflow"], "fix-tests");
    assert_eq!(step_status(&task, "test"), Some("failed"));
    assert_eq!(step_status(&task, "fix1"), Some("succeeded"));
    assert_eq!(step_status(&task, "retest1"), Some("succeeded"));
    for later in ["fix2", "retest2", "fix3", "retest3", "still_failing"] {
        assert_eq!(step_status(&task, later), Some("skipped"), "{later}");
    }
    assert_eq!(step_status(&task, "commit"), Some("succeeded"));
    assert_eq!(
        git_text(&p, &["log", "-1", "--format=%s"]).trim(),
        "fix the failing tests"
    );
    assert_eq!(git_text(&p, &["show", "HEAD:state.txt"]), "fixed\n");
    // The agent was given the failing output and told what to change.
    let prompt = fake.requests()[0]["messages"][0].to_string();
    assert!(prompt.contains("Fix the code, not the tests"), "{prompt}");
    assert!(
        prompt.contains("`sh check.sh` exited with code 1"),
        "{prompt}"
    );
    // `show` says why the workflow was chosen, naming the agent found.
    let shown = String::from_utf8_lossy(&p.bosun(&["show", &id]).stdout).into_owned();
    assert!(
        shown.contains("workflow  fix-tests — a request in words to fix failing tests (words: fix, tests), and Claude Code is available ("),
        "{shown}"
    );
}

#[test]
fn tests_still_red_after_three_rounds_fail_the_task_saying_so() {
    let p = Project::new();
    broken_project(&p);
    let fake = FakeModel::start(
        &p.path(".fake"),
        json!([
            { "match": "The tests of this project fail.", "text": "I looked; no luck." },
            { "match": "(round 2 of 3;", "text": "Still no luck." },
            { "match": "(round 3 of 3, the last;", "text": "I give up." }
        ]),
    );
    configure_claude(&p, &fake, None, "");
    let engine = p.start_engine(&[]);
    let id = p.submit(&[
        "--workflow",
        "fix-tests",
        "--input",
        "test=sh check.sh",
        "make state.txt right",
    ]);
    let task = p.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "failed", "{task:#}");
    for ran in ["fix1", "fix2", "fix3"] {
        assert_eq!(step_status(&task, ran), Some("succeeded"), "{ran}");
    }
    for red in ["test", "retest1", "retest2", "retest3", "still_failing"] {
        assert_eq!(step_status(&task, red), Some("failed"), "{red}");
    }
    assert!(
        text(&task, "still_failing", "stderr")
            .contains("The tests still fail after 3 rounds of fixes"),
        "{task:#}"
    );
    assert!(
        task["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("step `still_failing` failed")
                && e.contains("The tests still fail after 3 rounds of fixes")),
        "{task:#}"
    );
    assert_ne!(step_status(&task, "ask"), Some("waiting"));
    assert_ne!(step_status(&task, "commit"), Some("succeeded"));
    assert_eq!(fake.requests().len(), 3, "one model call per round");
    assert!(inbox(&p).is_empty());
}

#[test]
fn tests_that_pass_at_once_need_no_agent_and_no_question() {
    let p = Project::new();
    p.write("check.sh", "echo '3 passed'\n");
    // The agent is there (submit checks it can start), but no call reaches it.
    let fake = FakeModel::start(&p.path(".fake"), json!([]));
    configure_claude(&p, &fake, None, "");
    let engine = p.start_engine(&[]);
    let id = p.submit(&[
        "--workflow",
        "fix-tests",
        "--input",
        "test=sh check.sh",
        "fix tests",
    ]);
    let task = p.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(text(&task, "test", "output").trim(), "3 passed");
    assert!(fake.requests().is_empty(), "no agent call");
    for skipped in [
        "fix1",
        "retest1",
        "still_failing",
        "changes",
        "ask",
        "commit",
    ] {
        assert_eq!(step_status(&task, skipped), Some("skipped"), "{skipped}");
    }
}

#[test]
fn implement_does_the_description_tests_and_leaves_the_change_uncommitted_when_told() {
    let p = Project::new();
    p.write("check.sh", "grep -q hello greeting.txt\n");
    git_repo(&p);
    let file = p.path("greeting.txt").display().to_string();
    let fake = FakeModel::start(
        &p.path(".fake"),
        json!([
            { "match": "Add a greeting file",
              "content": [{ "type": "tool_use", "name": "Write",
                            "input": { "file_path": file, "content": "hello\n" } }] },
            { "match": "tool_result", "text": "Added greeting.txt." }
        ]),
    );
    configure_claude(&p, &fake, None, "");
    let engine = p.start_engine(&[]);
    let id = p.submit(&[
        "--workflow",
        "implement",
        "--input",
        "test=sh check.sh",
        "Add a greeting file",
    ]);
    let q = question(&p, &id);
    let asked = q["question"].as_str().unwrap_or_default();
    assert!(
        asked.contains("Claude Code made these changes and the tests pass")
            && asked.contains("?? greeting.txt"),
        "{asked}"
    );
    answer(&p, &q, "leave");
    let task = p.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(text(&task, "work", "output"), "Added greeting.txt.");
    assert_eq!(step_status(&task, "test"), Some("succeeded"));
    assert_eq!(step_status(&task, "commit"), Some("skipped"));
    assert_eq!(p.read("greeting.txt"), "hello\n");
    assert_eq!(git_text(&p, &["rev-list", "--count", "HEAD"]).trim(), "1");
    assert!(git_text(&p, &["status", "--short"]).contains("?? greeting.txt"));
}

/// A project with one uncommitted change to review.
fn changed_project(p: &Project) {
    p.write("calc.py", "def total(n):\n    return sum(range(n))\n");
    git_repo(p);
    p.write("calc.py", "def total(n):\n    return sum(range(1, n))\n");
    p.write("notes.py", "# new, not yet added\n");
}

fn verdict(verdict: &str, issues: Value) -> Value {
    json!({ "match": "Review the uncommitted changes",
            "content": [{ "type": "tool_use", "name": "StructuredOutput",
                          "input": { "verdict": verdict, "summary": "One change to range().",
                                     "issues": issues, "commit_message": "Start totals at 1" } }] })
}

#[test]
fn review_branches_on_the_structured_verdict_and_fixes_what_it_asks_when_told() {
    let p = Project::new();
    changed_project(&p);
    let issues = json!([{ "file": "calc.py", "line": 2, "severity": "high", "text": "off by one: n is left out" }]);
    let fake = FakeModel::start(
        &p.path(".fake"),
        json!([
            verdict("request_changes", issues),
            { "match": "off by one: n is left out", "text": "Put n back in the range." }
        ]),
    );
    configure_claude(&p, &fake, None, "");
    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "review", "review my changes"]);
    let q = question(&p, &id);
    assert_eq!(q["step_id"], "needs_changes", "{q:#}");
    let asked = q["question"].as_str().unwrap_or_default();
    assert!(
        asked.contains("Claude Code asks for changes: One change to range().")
            && asked.contains("- calc.py:2 (high) off by one: n is left out"),
        "{asked}"
    );
    answer(&p, &q, "fix");
    let task = p.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    let result: Value =
        serde_json::from_str(&text(&task, "review", "output")).expect("the verdict is JSON");
    assert_eq!(result["verdict"], "request_changes");
    assert_eq!(step_status(&task, "approved"), Some("skipped"));
    assert_eq!(text(&task, "fix", "output"), "Put n back in the range.");
    assert_eq!(step_status(&task, "not_approved"), Some("skipped"));
    // The review got the diff and a schema; the branch itself cost no model call.
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "the review and the fix");
    let review = requests[0].to_string();
    assert!(
        review.contains("sum(range(1, n))"),
        "the diff is in the prompt"
    );
    assert!(review.contains("?? notes.py"), "new files are named");
    assert!(review.contains("StructuredOutput"), "the schema is offered");
}

#[test]
fn an_approving_review_offers_to_commit_with_its_message() {
    let p = Project::new();
    changed_project(&p);
    let fake = FakeModel::start(&p.path(".fake"), json!([verdict("approve", json!([]))]));
    configure_claude(&p, &fake, None, "");
    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "review", "review my changes"]);
    let q = question(&p, &id);
    assert_eq!(q["step_id"], "approved", "{q:#}");
    assert!(
        q["question"]
            .as_str()
            .is_some_and(|t| t.contains("Commit them as \"Start totals at 1\"?")),
        "{q:#}"
    );
    answer(&p, &q, "commit");
    let task = p.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(step_status(&task, "needs_changes"), Some("skipped"));
    assert_eq!(
        git_text(&p, &["log", "-1", "--format=%s"]).trim(),
        "Start totals at 1"
    );
}

#[test]
fn a_clean_tree_has_nothing_to_review_and_costs_no_agent_call() {
    let p = Project::new();
    p.write("calc.py", "x = 1\n");
    git_repo(&p);
    let fake = FakeModel::start(&p.path(".fake"), json!([]));
    configure_claude(&p, &fake, None, "");
    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "review", "review my changes"]);
    let task = p.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(
        text(&task, "nothing", "output").trim(),
        "No uncommitted changes to review."
    );
    assert!(fake.requests().is_empty(), "no agent call");
    for skipped in ["review", "approved", "needs_changes", "not_approved"] {
        assert_eq!(step_status(&task, skipped), Some("skipped"), "{skipped}");
    }
}
