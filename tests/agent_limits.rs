//! An agent step meeting its limits, end to end with the real `claude` CLI against the kit's
//! fake model: API retries shown as such, retries that run out pausing the step (not failing
//! it), `max_turns`, a line that is not JSON, and a task budget that asks before more is spent.

mod support;

use std::time::Duration;

use serde_json::json;
use support::Project;
use support::agents::{
    FakeModel, agent_workflow, answer, claude, configure_claude, wait_for_question,
};

const LIMIT: Duration = Duration::from_secs(90);

/// The log lines Bosun kept for a task (the Logs pane's source), read with Python's sqlite3.
fn logs(project: &Project, task: &str) -> Vec<String> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             [print(m) for (m,) in c.execute('SELECT message FROM logs WHERE task_id=? ORDER BY seq', (sys.argv[2],))]",
        ])
        .arg(project.path(".bosun/state/bosun.db"))
        .arg(task)
        .output()
        .expect("python3 reads the store");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn an_overloaded_api_is_retried_and_shown_as_such() {
    let project = Project::new();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([{ "status": 529 }, { "status": 429, "headers": { "retry-after": "0" } }, { "text": "done after retries" }]),
    );
    configure_claude(&project, &fake, None, "");
    agent_workflow(&project, "say done");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "say done"]);
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    let step = Project::step(&task, "work");
    assert_eq!(step["output"], "done after retries");
    assert_eq!(step["agent"]["retries"], 2, "{step:#}");
    let logs = logs(&project, &id);
    assert!(
        logs.iter()
            .any(|l| l.starts_with("agent API overloaded (529): retry 1/2")),
        "{logs:#?}"
    );
    assert!(
        logs.iter()
            .any(|l| l.starts_with("agent API rate limited (429): retry 2/2")),
        "{logs:#?}"
    );
}

#[test]
fn retries_that_run_out_pause_the_step_and_it_goes_on_by_itself() {
    let project = Project::new();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            { "status": 529 }, { "status": 529 }, { "status": 529 },
            { "text": "done after the pause" }
        ]),
    );
    configure_claude(&project, &fake, None, "    pause: 2s\n");
    agent_workflow(&project, "say done");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "say done"]);
    let paused = project.wait_for(&id, LIMIT, |t| {
        t["steps"][0]["agent"]["paused"].as_str().is_some()
    });
    let why = paused["steps"][0]["agent"]["paused"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("overloaded (529)"), "{why}");
    assert_eq!(
        paused["status"], "running",
        "a pause is not a failure: {paused:#}"
    );
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    let step = Project::step(&task, "work");
    assert_eq!(step["output"], "done after the pause");
    assert_eq!(
        step["attempts"], 1,
        "the pause is not a new attempt: {step:#}"
    );
    assert!(step["agent"].get("paused").is_none(), "{step:#}");
    assert_eq!(fake.requests().len(), 4);
}

#[test]
fn max_turns_reached_fails_the_step_saying_so() {
    let project = Project::new();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([{ "bash": "echo one" }, { "bash": "echo two" }, { "text": "never" }]),
    );
    configure_claude(&project, &fake, None, "");
    project.write(
        ".bosun/skills/brief.yaml",
        "name: brief\ndescription: an agent with one turn\nkind: agent\nadapter: claude-code\n\
         inputs:\n  prompt: { required: true }\nprompt: \"{{ prompt }}\"\nmax_turns: 1\n",
    );
    project.write(
        ".bosun/workflows/agent.yaml",
        "steps:\n  - { id: work, skill: brief, with: { prompt: \"echo twice\" } }\n",
    );
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "echo twice"]);
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "failed", "{task:#}");
    let step = Project::step(&task, "work");
    assert_eq!(
        step["error"], "the agent reached its `max_turns` before finishing",
        "{step:#}"
    );
}

#[test]
fn a_line_that_is_not_json_is_kept_and_does_not_stop_the_agent() {
    let project = Project::new();
    let fake = FakeModel::start(&project.path(".fake"), json!([{ "text": "fine" }]));
    let wrapper = project.path("claude-wrapper.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho 'a banner that is not JSON'\nexec {:?} \"$@\"\n",
            claude().display().to_string()
        ),
    )
    .expect("wrapper");
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    configure_claude(&project, &fake, Some(&wrapper), "");
    agent_workflow(&project, "say fine");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "say fine"]);
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(Project::step(&task, "work")["output"], "fine");
    let transcript = project.read(&format!(".bosun/logs/agents/{id}-work.jsonl"));
    assert!(
        transcript.starts_with("a banner that is not JSON\n"),
        "{transcript}"
    );
}

#[test]
fn a_task_budget_asks_before_more_is_spent() {
    budget_asks("task_usd", "This task's agents have spent $0.4");
}

#[test]
fn a_day_budget_asks_before_more_is_spent() {
    budget_asks("day_usd", "Agents have spent $0.4");
}

/// A budget of one cent (`budget.<key>`) asks once one turn spent past it, and `continue` lets
/// the session go on with one more budget's worth.
fn budget_asks(key: &str, asks: &str) {
    let project = Project::new();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            // About $0.40 at the model's list price: past the budget in one turn.
            { "bash": "echo expensive", "usage": { "input_tokens": 100000, "output_tokens": 50 } },
            { "match": "spending limit was raised", "text": "done within the grant" }
        ]),
    );
    configure_claude(&project, &fake, None, &format!("budget:\n  {key}: 0.01\n"));
    agent_workflow(&project, "spend");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "spend"]);
    let question = wait_for_question(&project, LIMIT);
    assert!(
        question["question"]
            .as_str()
            .is_some_and(|q| q.starts_with(asks)),
        "{question:#}"
    );
    assert_eq!(question["options"], json!(["continue", "stop"]));
    assert_eq!(question["default"], "stop");
    answer(&project, &question, "continue");
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    let step = Project::step(&task, "work");
    assert_eq!(step["output"], "done within the grant");
    let granted = step["agent"]["grant"][key].as_f64().expect("grant");
    let cost = step["agent"]["cost_usd"].as_f64().expect("cost");
    assert!(granted > 0.4 && cost <= granted, "{step:#}");
    // The first session was started with the whole budget as its limit.
    let argv = project.read(".bosun/audit.jsonl");
    assert!(argv.contains("\"--max-budget-usd\",\"0.0100\""), "{argv}");
}

#[test]
fn a_budget_answered_stop_fails_the_step_and_spends_nothing_more() {
    let project = Project::new();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([{ "bash": "echo expensive", "usage": { "input_tokens": 100000, "output_tokens": 50 } }]),
    );
    configure_claude(&project, &fake, None, "budget:\n  task_usd: 0.01\n");
    agent_workflow(&project, "spend");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "spend"]);
    let question = wait_for_question(&project, LIMIT);
    answer(&project, &question, "stop");
    let task = project.wait_finished(&id, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "failed", "{task:#}");
    let error = Project::step(&task, "work")["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.starts_with("stopped at the budget"), "{error}");
    assert_eq!(fake.requests().len(), 1, "no call after the answer");
}

#[test]
fn a_step_that_starts_past_the_day_budget_asks_once_and_stop_fails_it() {
    let project = Project::new();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([{ "text": "first done", "usage": { "input_tokens": 100000, "output_tokens": 50 } }]),
    );
    // A first task spends $0.40 with no budget set.
    configure_claude(&project, &fake, None, "");
    agent_workflow(&project, "spend");
    let engine = project.start_engine(&[]);
    let first = project.submit(&["--workflow", "agent", "spend"]);
    assert_eq!(project.wait_finished(&first, LIMIT)["status"], "succeeded");
    drop(engine);

    // Then a day budget of a cent: the next agent step asks before it starts.
    configure_claude(&project, &fake, None, "budget:\n  day_usd: 0.01\n");
    let engine = project.start_engine(&[]);
    let second = project.submit(&["--workflow", "agent", "spend again"]);
    let question = wait_for_question(&project, LIMIT);
    assert!(
        question["question"]
            .as_str()
            .is_some_and(|q| q.starts_with("Agents have spent $0.4")),
        "{question:#}"
    );
    answer(&project, &question, "stop");
    let task = project.wait_finished(&second, LIMIT);
    drop(engine);
    assert_eq!(task["status"], "failed", "{task:#}");
    let step = Project::step(&task, "work");
    assert!(
        step["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("stopped at the budget")),
        "{step:#}"
    );
    assert_eq!(step["attempts"], 0, "the agent never started: {step:#}");
    assert_eq!(fake.requests().len(), 1, "nothing spent after the answer");
}
