//! An agent step across a `kill -9` of its engine, end to end with the real `claude` CLI: the
//! restarted engine resumes the same session, and the question the agent was waiting on
//! survives the restart and its answer reaches the resumed agent.

mod support;

use std::time::Duration;

use serde_json::json;
use support::Project;
use support::agents::{
    FakeModel, agent_running, agent_workflow, answer, ask_about_touch, configure_claude, inbox,
    wait_for_question,
};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn kill_9_while_the_agent_waits_resumes_its_session_and_the_answer_reaches_it() {
    let project = Project::new();
    ask_about_touch(&project);
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            { "bash": "touch approved.txt" },
            // The resumed session is told Bosun restarted, and asks for the same call again.
            { "match": "Bosun was restarted", "bash": "touch approved.txt" },
            { "match": "tool_result", "text": "touched after the restart" }
        ]),
    );
    configure_claude(&project, &fake, None, "");
    agent_workflow(&project, "touch the file");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "touch it"]);
    let before = wait_for_question(&project, LIMIT);
    let session = project.show(&id)["steps"][0]["agent"]["session_id"]
        .as_str()
        .expect("the session id is committed before the agent starts")
        .to_string();
    engine.kill_hard();

    let engine = project.start_engine(&[]);
    // The same question is still open after the restart, asked again by the resumed agent.
    project.wait_for(&id, LIMIT, |t| {
        t["steps"][0]["attempts"] == 2 && t["status"] == "waiting"
    });
    let after = inbox(&project);
    assert_eq!(after.len(), 1, "{after:#?}");
    assert_eq!(after[0]["id"], before["id"]);
    answer(&project, &before, "allow");
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert!(project.path("approved.txt").exists());
    let step = Project::step(&task, "work");
    assert_eq!(step["output"], "touched after the restart");
    assert_eq!(step["agent"]["session_id"], session.as_str(), "{step:#}");
    // The agent made no call of its own once its engine died (it was stopped, not left to
    // read the end of its input as a refusal), and the resumed request carries the
    // conversation from before the kill.
    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    let resumed = requests.get(1).expect("a request after the restart");
    let history = resumed["messages"].to_string();
    assert!(history.contains("touch the file"), "{history}");
}

#[test]
fn a_session_lost_with_its_engine_starts_over_with_the_prompt() {
    let project = Project::new();
    ask_about_touch(&project);
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            { "bash": "touch approved.txt" },
            // The session was lost: the new one is given the step's prompt again.
            { "match": "touch the file", "bash": "touch approved.txt" },
            { "match": "tool_result", "text": "touched in a new session" }
        ]),
    );
    configure_claude(&project, &fake, None, "");
    agent_workflow(&project, "touch the file");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "touch it"]);
    let question = wait_for_question(&project, LIMIT);
    let lost = project.show(&id)["steps"][0]["agent"]["session_id"]
        .as_str()
        .expect("session id")
        .to_string();
    engine.kill_hard();
    // As if the agent had been killed before it wrote its session down.
    support::eventually(LIMIT, "the agent ends with its engine", || {
        !agent_running(&lost)
    });
    std::fs::remove_dir_all(project.path(".agent-home/.claude/projects")).expect("sessions");

    let engine = project.start_engine(&[]);
    project.wait_for(&id, LIMIT, |t| {
        t["steps"][0]["attempts"] == 2 && t["status"] == "waiting"
    });
    answer(&project, &question, "allow");
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    let step = Project::step(&task, "work");
    assert_eq!(step["output"], "touched in a new session");
    assert_ne!(step["agent"]["session_id"], lost.as_str(), "{step:#}");
    assert!(project.path("approved.txt").exists());
}
