//! The agents as the command line shows them, through the real `bosun` binary: `doctor` lists
//! each agent CLI with its path and version (a missing one warns, or fails when a project
//! workflow needs it); `validate` names the step of a workflow whose agent is missing and
//! `submit` refuses its task, both with exit 2; `stats`, `show` and `tasks` give what agent
//! steps spent, after a real `claude` step against the kit's fake model.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::Project;
use support::agents::{FakeModel, agent_workflow, configure_claude};

/// A missing agent binary's name: no machine has it on PATH.
const MISSING: &str = "bosun-test-missing-agent";

/// A workflow `fix`: a shell step, then a `claude` step at line 8, column 12.
const FIX: &str = "name: fix\ndescription: test, then ask the agent\nsteps:\n  - id: test\n    \
    skill: shell\n    with: { run: \"true\" }\n  - id: fix\n    skill: claude\n    \
    with: { prompt: \"fix the tests\" }\n";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes an executable script at `rel` under the project.
fn script(project: &Project, rel: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    project.write(rel, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(project.path(rel), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
}

/// `doctor --json`: its exit status and its checks by name.
fn doctor(project: &Project) -> (Option<i32>, Value) {
    let out = project.bosun(&["doctor", "--json"]);
    let checks: Value = serde_json::from_slice(&out.stdout).expect("doctor --json is JSON");
    (out.status.code(), checks)
}

fn check<'a>(checks: &'a Value, name: &str) -> &'a Value {
    checks
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no check `{name}` in {checks:#}"))
}

#[test]
fn doctor_lists_each_agent_with_its_version_and_warns_about_a_missing_one() {
    let project = Project::new();
    // Found as the engine would find it: on the project's `path`, and run with the agent's env.
    script(
        &project,
        "tools/fake-claude",
        "echo \"$FAKE_VERSION (Fake Code)\"",
    );
    project.write(
        ".bosun/config.yaml",
        &format!(
            "path: [tools]\nagents:\n  claude-code:\n    command: fake-claude\n    env:\n      \
             FAKE_VERSION: \"9.8.7\"\n  codex:\n    command: {MISSING}\n"
        ),
    );
    let (code, checks) = doctor(&project);
    assert_eq!(
        code,
        Some(0),
        "a missing agent nothing uses is a warning: {checks:#}"
    );
    let claude = check(&checks, "claude-code");
    assert_eq!(claude["ok"], true, "{claude:#}");
    assert_eq!(
        claude["agent"]["version"], "9.8.7 (Fake Code)",
        "{claude:#}"
    );
    let path = project.path("tools/fake-claude").display().to_string();
    assert_eq!(claude["agent"]["path"], path.as_str(), "{claude:#}");
    let codex = check(&checks, "codex");
    assert_eq!(codex["ok"], false, "{codex:#}");
    assert_eq!(codex["required"], false, "{codex:#}");
    assert_eq!(codex["agent"]["path"], Value::Null, "{codex:#}");
    let out = project.bosun(&["doctor"]);
    assert!(out.status.success());
    let lines = text(&out.stdout);
    assert!(
        lines.contains(&format!("ok   claude-code  {path}: 9.8.7 (Fake Code)")),
        "{lines}"
    );
    assert!(
        lines.contains(&format!(
            "warn codex        `{MISSING}` is not on PATH; install it, or set \
             `agents.codex.command` in .bosun/config.yaml to its path"
        )),
        "{lines}"
    );
}

#[test]
fn doctor_fails_when_a_workflow_of_the_project_needs_a_missing_agent() {
    let project = Project::new();
    project.write(
        ".bosun/config.yaml",
        &format!("agents:\n  claude-code:\n    command: {MISSING}\n"),
    );
    project.write(".bosun/workflows/fix.yaml", FIX);
    let (code, checks) = doctor(&project);
    assert_eq!(code, Some(1), "{checks:#}");
    let claude = check(&checks, "claude-code");
    assert_eq!(
        (&claude["ok"], &claude["required"]),
        (&json!(false), &json!(true))
    );
    assert_eq!(claude["agent"]["workflows"], json!(["fix"]), "{claude:#}");
    let out = project.bosun(&["doctor"]);
    let lines = text(&out.stdout);
    assert!(
        lines.contains("FAIL claude-code")
            && lines.contains("this project's workflow `fix` needs it"),
        "{lines}"
    );
    assert!(text(&out.stderr).contains("not working: claude-code"));
}

#[test]
fn doctor_says_when_an_agent_does_not_answer_its_version() {
    let project = Project::new();
    script(&project, "broken-agent", "echo 'no such flag' >&2; exit 3");
    project.write(
        ".bosun/config.yaml",
        "agents:\n  claude-code:\n    command: ./broken-agent\n",
    );
    let (code, checks) = doctor(&project);
    assert_eq!(code, Some(0), "{checks:#}");
    let claude = check(&checks, "claude-code");
    assert_eq!(claude["ok"], false, "{claude:#}");
    assert_eq!(claude["agent"]["version"], Value::Null, "{claude:#}");
    let detail = claude["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("`--version` failed") && detail.contains("no such flag"),
        "{detail}"
    );
}

#[test]
fn validate_names_the_step_whose_agent_is_missing() {
    let project = Project::new();
    project.write(
        ".bosun/config.yaml",
        &format!("agents:\n  claude-code:\n    command: {MISSING}\n"),
    );
    project.write(".bosun/workflows/fix.yaml", FIX);
    let want = format!(
        ".bosun/workflows/fix.yaml:8:12: step `fix` (skill `claude`) needs the claude-code agent, \
         but `{MISSING}` is not on PATH; install it, or set `agents.claude-code.command` in \
         .bosun/config.yaml to its path"
    );
    for args in [
        &["validate"][..],
        &["validate", ".bosun/workflows/fix.yaml"],
    ] {
        let out = project.bosun_from_root(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let errors = text(&out.stderr);
        assert!(
            errors.lines().any(|l| l.ends_with(&want)),
            "{args:?}: {errors}"
        );
    }
    // Found again, the workflow is valid.
    script(&project, "bin/claude", "echo 1.0");
    project.write(
        ".bosun/config.yaml",
        "agents:\n  claude-code:\n    command: bin/claude\n",
    );
    let out = project.bosun_from_root(&["validate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn submit_refuses_a_task_whose_agent_is_missing_and_queues_nothing() {
    let project = Project::new();
    project.write(
        ".bosun/config.yaml",
        &format!("agents:\n  claude-code:\n    command: {MISSING}\n"),
    );
    project.write(".bosun/workflows/fix.yaml", FIX);
    let out = project.bosun(&["submit", "--workflow", "fix", "fix the tests"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).is_empty(), "no id is printed");
    let errors = text(&out.stderr);
    assert!(
        errors.contains("fix.yaml:8:12: step `fix` (skill `claude`) needs the claude-code agent")
            && errors.contains("set `agents.claude-code.command`"),
        "{errors}"
    );
    let tasks = project.bosun(&["tasks", "--json"]);
    let tasks: Value = serde_json::from_slice(&tasks.stdout).expect("tasks --json");
    assert_eq!(tasks, json!([]));
    // A workflow without agents is still accepted.
    project.submit(&["--workflow", "shell", "true"]);
}

#[test]
fn stats_show_and_tasks_give_what_agent_steps_spent() {
    let project = Project::new();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            { "bash": "echo hi > out.txt", "usage": { "input_tokens": 1000, "output_tokens": 50 } },
            { "match": "tool_result", "text": "done", "usage": { "input_tokens": 1200, "output_tokens": 5 } }
        ]),
    );
    configure_claude(&project, &fake, None, "");
    agent_workflow(&project, "write hi to out.txt");
    let before: Value =
        serde_json::from_slice(&project.bosun(&["stats", "--json"]).stdout).expect("stats");
    assert_eq!(before["agents"]["all_time"]["steps"], 0, "{before:#}");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "write hi"]);
    let task = project.wait_finished(&id, Duration::from_secs(60));
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    let step = &Project::step(&task, "work")["agent"];
    let cost = task["cost_usd"].as_f64().expect("the task's cost");
    assert!(cost > 0.0, "{task:#}");
    // The task's totals are its agent step's figures.
    let totals = &task["agent"];
    assert_eq!(totals["steps"], 1, "{task:#}");
    for field in [
        "input_tokens",
        "output_tokens",
        "turns",
        "tool_calls",
        "denied",
    ] {
        assert_eq!(totals[field], step[field], "{field}: {task:#}");
    }
    assert!(
        totals["input_tokens"].as_i64().is_some_and(|n| n >= 2200),
        "{totals:#}"
    );
    assert_eq!(totals["tool_calls"], 1, "{totals:#}");
    let stats: Value =
        serde_json::from_slice(&project.bosun(&["stats", "--json"]).stdout).expect("stats");
    for period in ["today", "all_time"] {
        let spent = &stats["agents"][period];
        let spent_cost = spent["cost_usd"].as_f64().expect("cost");
        assert!((spent_cost - cost).abs() < 1e-9, "{period}: {stats:#}");
        for field in [
            "steps",
            "input_tokens",
            "output_tokens",
            "turns",
            "tool_calls",
            "denied",
        ] {
            assert_eq!(spent[field], totals[field], "{period} {field}: {stats:#}");
        }
    }
    assert!(
        stats["today"]["decisions"].is_number(),
        "the old fields stay: {stats:#}"
    );
    let count = |field: &str, noun: &str| match totals[field].as_i64() {
        Some(1) => format!("1 {noun}"),
        n => format!("{} {noun}s", n.unwrap_or_default()),
    };
    let shown = format!(
        "${cost:.4} over 1 agent step: {}, 1 tool call, {} in and {} out",
        count("turns", "turn"),
        count("input_tokens", "token"),
        count("output_tokens", "token")
    );
    let lines = text(&project.bosun(&["stats"]).stdout);
    assert!(
        lines.contains(&format!("agents today:      {shown}")),
        "{lines}"
    );
    assert!(
        lines.contains(&format!("agents all time:   {shown}")),
        "{lines}"
    );
    let detail = text(&project.bosun(&["show", &id]).stdout);
    assert!(detail.contains(&format!("  agents    {shown}")), "{detail}");
    let listed: Value =
        serde_json::from_slice(&project.bosun(&["tasks", "--json"]).stdout).expect("tasks");
    assert_eq!(listed[0]["agent"], *totals, "{listed:#}");
}
