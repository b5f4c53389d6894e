//! An agent's tool call asked about in the inbox, end to end with the real `claude` CLI: only
//! that agent waits (a sibling task runs meanwhile), the answer reaches it, the deadline's
//! default is taken when nobody answers, and a cancel ends the agent while it waits.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::Project;
use support::agents::{
    FakeModel, agent_running, agent_workflow, answer, ask_about_touch, configure_claude, inbox,
    wait_for_question,
};

const LIMIT: Duration = Duration::from_secs(60);

fn decisions(project: &Project, task: &str) -> Vec<Value> {
    let out = project.bosun(&["decisions", "--task", task, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("decisions --json")
}

#[test]
fn an_asked_call_waits_for_the_answer_while_a_sibling_task_runs() {
    let project = Project::new();
    ask_about_touch(&project);
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            { "bash": "touch approved.txt" },
            { "match": "tool_result", "text": "touched it" }
        ]),
    );
    configure_claude(&project, &fake, None, "");
    agent_workflow(&project, "touch the file");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "touch it"]);
    let question = wait_for_question(&project, LIMIT);
    assert_eq!(question["task_id"], id.as_str());
    assert_eq!(
        question["question"],
        "Let the agent run `touch approved.txt`?"
    );
    assert_eq!(question["options"], json!(["allow", "deny"]));
    assert!(!project.path("approved.txt").exists());

    // Only that agent waits: another task runs to its end meanwhile.
    let sibling = project.submit(&["echo sibling"]);
    let done = project.wait_finished(&sibling, LIMIT);
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(project.show(&id)["status"], "waiting");

    answer(&project, &question, "allow");
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert!(project.path("approved.txt").exists());
    assert_eq!(Project::step(&task, "work")["output"], "touched it");
    let by_user = decisions(&project, &id)
        .into_iter()
        .find(|d| d["question"] == "Let the agent run `touch approved.txt`?")
        .expect("the decision is in the ledger");
    assert_eq!(by_user["decided_by"], "user");
    assert_eq!(by_user["choice"], "allow");
}

#[test]
fn nobody_answering_takes_the_default_and_the_agent_is_told() {
    let project = Project::new();
    ask_about_touch(&project);
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            { "bash": "touch approved.txt" },
            { "match": "deadline", "text": "left it alone" }
        ]),
    );
    configure_claude(&project, &fake, None, "escalation:\n  timeout: 1s\n");
    agent_workflow(&project, "touch the file");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "touch it"]);
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert!(!project.path("approved.txt").exists());
    let step = Project::step(&task, "work");
    assert_eq!(step["output"], "left it alone");
    assert_eq!(step["agent"]["denied"], 1, "{step:#}");
    let timed_out = decisions(&project, &id)
        .into_iter()
        .find(|d| d["decided_by"] == "timeout")
        .expect("a decision taken at the deadline");
    assert_eq!(timed_out["choice"], "deny");
}

#[test]
fn cancel_ends_a_waiting_agent_and_its_process() {
    let project = Project::new();
    ask_about_touch(&project);
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([{ "bash": "touch approved.txt" }, { "text": "never reached" }]),
    );
    configure_claude(&project, &fake, None, "");
    agent_workflow(&project, "touch the file");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "touch it"]);
    wait_for_question(&project, LIMIT);
    let session = project.show(&id)["steps"][0]["agent"]["session_id"]
        .as_str()
        .expect("session id committed")
        .to_string();
    assert!(agent_running(&session), "the agent runs while it waits");

    let out = project.bosun(&["cancel", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let task = project.wait_finished(&id, LIMIT);
    assert_eq!(task["status"], "cancelled", "{task:#}");
    // What the session spent before it was stopped still counts.
    let spent = task["steps"][0]["agent"]["cost_usd"]
        .as_f64()
        .unwrap_or(0.0);
    assert!(spent > 0.0, "{task:#}");
    support::eventually(Duration::from_secs(10), "the agent process ends", || {
        !agent_running(&session)
    });
    assert!(inbox(&project).is_empty(), "its question is withdrawn");
    assert!(!project.path("approved.txt").exists());
    drop(engine);
}
