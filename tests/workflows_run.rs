//! End to end through the real binary: a `bosun run` engine, tasks submitted with
//! `bosun submit` from other processes, results read back with `bosun show --json`.

mod support;

use std::time::Duration;

use support::{EngineProcess, Project, alive, eventually, group_alive};

const LONG: Duration = Duration::from_secs(30);

fn engine(project: &Project) -> EngineProcess {
    project.start_engine(&[])
}

/// Writes the workflow, starts an engine, submits a task running it, and waits for its end.
fn run_workflow(p: &Project, name: &str, yaml: &str, args: &[&str]) -> serde_json::Value {
    p.write(&format!(".bosun/workflows/{name}.yaml"), yaml);
    let _engine = engine(p);
    let mut submit = vec!["--workflow", name];
    submit.extend_from_slice(args);
    let id = p.submit(&submit);
    p.wait_finished(&id, LONG)
}

#[test]
fn a_submitted_task_runs_its_steps_in_order_with_templates() {
    let p = Project::new();
    let task = run_workflow(
        &p,
        "greet",
        r#"
description: Greet someone, then shout it
inputs:
  name: { required: true }
steps:
  - id: hello
    skill: shell
    with: { run: "echo hello {{ inputs.name }}" }
  - id: shout
    skill: shell
    with: { run: "echo '{{ steps.hello.output | trim }}' | tr a-z A-Z; echo from $BOSUN_STEP_ID >&2" }
  - id: json
    skill: shell
    with: { run: "echo '{\"count\": 3}'" }
  - id: use_json
    skill: shell
    with: { run: "echo count={{ steps.json.result.count }}" }
"#,
        &["--input", "name=ada", "say hello"],
    );
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(task["workflow"], "greet");
    assert_eq!(task["inputs"]["name"], "ada");
    let ids: Vec<&str> = task["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, ["hello", "shout", "json", "use_json"]);
    assert_eq!(Project::step(&task, "hello")["output"], "hello ada\n");
    assert_eq!(Project::step(&task, "shout")["output"], "HELLO ADA\n");
    assert_eq!(Project::step(&task, "shout")["exit_code"], 0);
    assert_eq!(Project::step(&task, "use_json")["output"], "count=3\n");
    for field in ["created_at", "started_at", "finished_at"] {
        assert!(
            task[field].as_str().is_some_and(|t| t.ends_with('Z')),
            "{field}: {task:#}"
        );
    }
}

#[test]
fn parallel_steps_really_overlap() {
    let p = Project::new();
    let task = run_workflow(
        &p,
        "par",
        r#"
steps:
  - id: both
    parallel:
      - { id: a, skill: shell, with: { run: "touch a.started; for i in $(seq 100); do [ -e b.started ] && break; sleep 0.05; done; [ -e b.started ]" } }
      - { id: b, skill: shell, with: { run: "touch b.started; for i in $(seq 100); do [ -e a.started ] && break; sleep 0.05; done; [ -e a.started ]" } }
  - id: after
    skill: shell
    with: { run: "echo after" }
"#,
        &["side by side"],
    );
    // Each child waits until it sees the other started: both succeed only if they overlapped.
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(Project::step(&task, "a")["parent"], "both");
    assert_eq!(Project::step(&task, "both")["status"], "succeeded");
    assert_eq!(Project::step(&task, "after")["output"], "after\n");
}

#[test]
fn the_parallel_skill_limit_holds_across_the_engine() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/par.yaml",
        r#"
steps:
  - id: both
    parallel:
      - { id: a, skill: shell, with: { run: "mkdir slot || exit 3; sleep 0.3; rmdir slot" } }
      - { id: b, skill: shell, with: { run: "mkdir slot || exit 3; sleep 0.3; rmdir slot" } }
      - { id: c, skill: shell, with: { run: "mkdir slot || exit 3; sleep 0.3; rmdir slot" } }
"#,
    );
    let _engine = p.start_engine(&["--max-skills", "1"]);
    let id = p.submit(&["--workflow", "par", "one at a time"]);
    let task = p.wait_finished(&id, LONG);
    // `mkdir slot` fails if another child holds it: with one skill slot none ever does.
    assert_eq!(task["status"], "succeeded", "{task:#}");
}

#[test]
fn if_conditions_skip_steps_and_continue_on_error_goes_on() {
    let p = Project::new();
    let task = run_workflow(
        &p,
        "cond",
        r#"
steps:
  - id: probe
    skill: shell
    with: { run: "exit 3" }
    continue_on_error: true
  - id: when_ok
    if: "steps.probe.ok"
    skill: shell
    with: { run: "echo should not run" }
  - id: when_failed
    if: "steps.probe.exit_code == 3"
    skill: shell
    with: { run: "echo recovered" }
"#,
        &["conditions"],
    );
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(Project::step(&task, "probe")["status"], "failed");
    assert_eq!(Project::step(&task, "probe")["exit_code"], 3);
    assert_eq!(Project::step(&task, "when_ok")["status"], "skipped");
    assert_eq!(Project::step(&task, "when_ok")["attempts"], 0);
    assert_eq!(Project::step(&task, "when_failed")["output"], "recovered\n");
}

#[test]
fn a_failing_step_fails_the_task_and_skips_the_rest() {
    let p = Project::new();
    let task = run_workflow(
        &p,
        "fail",
        "on_failure: fail\nsteps:\n  - { id: bad, skill: shell, with: { run: \"echo oops >&2; exit 7\" } }\n  - { id: later, skill: shell, with: { run: \"touch ran\" } }\n",
        &["fails"],
    );
    assert_eq!(task["status"], "failed");
    let bad = Project::step(&task, "bad");
    assert_eq!(bad["exit_code"], 7);
    // The error says how it ended; what it printed stays in its own stream.
    assert_eq!(bad["error"], "exited with code 7", "{bad:#}");
    assert_eq!(bad["stderr"], "oops\n", "{bad:#}");
    assert_eq!(Project::step(&task, "later")["status"], "skipped");
    assert!(!p.path("ran").exists());
}

#[test]
fn retries_back_off_until_an_attempt_succeeds_or_the_budget_is_spent() {
    let p = Project::new();
    let task = run_workflow(
        &p,
        "flaky",
        r#"
on_failure: fail
steps:
  - id: flaky
    skill: shell
    with: { run: "echo x >> tries; [ $(wc -l < tries) -ge 3 ]" }
    retry: { attempts: 4, backoff: 50ms }
  - id: hopeless
    skill: shell
    with: { run: "echo y >> fails; exit 1" }
    retry: { attempts: 2, backoff: 10ms }
"#,
        &["flaky"],
    );
    assert_eq!(Project::step(&task, "flaky")["status"], "succeeded");
    assert_eq!(Project::step(&task, "flaky")["attempts"], 3);
    assert_eq!(p.read("tries").lines().count(), 3);
    assert_eq!(Project::step(&task, "hopeless")["status"], "failed");
    assert_eq!(Project::step(&task, "hopeless")["attempts"], 2);
    assert_eq!(p.read("fails").lines().count(), 2);
    assert_eq!(task["status"], "failed");
}

#[test]
fn a_timeout_ends_the_whole_process_group() {
    let p = Project::new();
    let task = run_workflow(
        &p,
        "slow",
        "on_failure: fail\nsteps:\n  - id: slow\n    skill: shell\n    with: { run: \"sleep 60 & echo $! > child.pid; wait\" }\n    timeout: 300ms\n",
        &["too slow"],
    );
    let slow = Project::step(&task, "slow");
    assert_eq!(slow["status"], "failed", "{task:#}");
    assert!(
        slow["error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out")),
        "{slow:#}"
    );
    let child: i32 = p.read("child.pid").trim().parse().expect("child pid");
    eventually(Duration::from_secs(5), "the background sleep ended", || {
        !alive(child)
    });
}

#[test]
fn cancel_ends_a_running_task_and_its_processes() {
    let p = Project::new();
    // The step reads its own /proc entry to report its process group.
    p.write(".bosun/policy.yaml", "read_roots: [\"/proc\"]\n");
    p.write(
        ".bosun/workflows/long.yaml",
        "steps:\n  - id: long\n    skill: shell\n    with: { run: \"cut -d' ' -f5 /proc/$$/stat > leader.pgid; sleep 60 & echo $! > child.pid; wait\" }\n  - { id: next, skill: shell, with: { run: \"touch next.ran\" } }\n",
    );
    let _engine = engine(&p);
    let id = p.submit(&["--workflow", "long", "long job"]);
    p.wait_for(&id, LONG, |t| {
        support::step_status(t, "long") == Some("running") && !p.read("child.pid").is_empty()
    });
    let out = p.bosun(&["cancel", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let task = p.show(&id);
    assert_eq!(task["status"], "cancelled", "{task:#}");
    assert_eq!(Project::step(&task, "long")["status"], "cancelled");
    assert_eq!(Project::step(&task, "next")["status"], "cancelled");
    let group: i32 = p
        .read("leader.pgid")
        .trim()
        .parse()
        .expect("the step's process group");
    let child: i32 = p.read("child.pid").trim().parse().expect("child pid");
    eventually(Duration::from_secs(5), "the step's processes ended", || {
        !alive(child) && !group_alive(group)
    });
    assert!(!p.path("next.ran").exists());
    // Cancelling again is an error: it already finished.
    assert_eq!(p.bosun(&["cancel", &id]).status.code(), Some(1));
}

#[test]
fn a_queued_task_can_be_cancelled_without_an_engine() {
    let p = Project::new();
    let id = p.submit(&["echo never"]);
    let out = p.bosun(&["cancel", &id[..5]]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(p.show(&id)["status"], "cancelled");
    let _engine = engine(&p);
    let other = p.submit(&["echo later"]);
    assert_eq!(p.wait_finished(&other, LONG)["status"], "succeeded");
    assert_eq!(
        p.show(&id)["status"],
        "cancelled",
        "a cancelled task never starts"
    );
}

#[test]
fn medium_risk_decide_steps_take_their_default_and_are_recorded() {
    let p = Project::new();
    let task = run_workflow(
        &p,
        "ship",
        r#"
steps:
  - id: ship
    decide: { question: "Push?", options: [push, hold], default: hold, risk: medium }
  - id: push
    if: "steps.ship.choice == 'push'"
    skill: shell
    with: { run: "touch pushed" }
  - id: held
    if: "steps.ship.choice == 'hold'"
    skill: shell
    with: { run: "echo held" }
"#,
        &["ship it"],
    );
    assert_eq!(Project::step(&task, "ship")["choice"], "hold");
    assert_eq!(Project::step(&task, "push")["status"], "skipped");
    assert_eq!(Project::step(&task, "held")["status"], "succeeded");
    let id = task["id"].as_str().expect("id");
    let out = p.bosun(&["decisions", "--task", id, "--json"]);
    let decisions: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let d = decisions
        .as_array()
        .expect("an array")
        .iter()
        .find(|d| d["kind"] == "decide")
        .expect("the decide step's decision");
    assert_eq!(
        (d["choice"].as_str(), d["decided_by"].as_str()),
        (Some("hold"), Some("policy"))
    );
    assert_eq!(d["question"], "Push?");
    assert_eq!(d["step_id"], "ship");
}

#[test]
fn huge_output_is_kept_bounded() {
    let p = Project::new();
    p.write(".bosun/config.yaml", "engine:\n  output_limit: 4096\n");
    let _engine = engine(&p);
    let id = p.submit(&[
        "--workflow",
        "shell",
        "--input",
        "command=yes 0123456789 | head -c 20000000; echo END",
        "flood",
    ]);
    let task = p.wait_finished(&id, LONG);
    let output = Project::step(&task, "run")["output"]
        .as_str()
        .expect("output")
        .to_string();
    assert_eq!(task["status"], "succeeded");
    assert!(output.len() < 4096 + 100, "kept {} bytes", output.len());
    assert!(
        output.starts_with("[… ") && output.ends_with("END\n"),
        "{}",
        &output[..80]
    );
}

#[test]
fn tasks_lists_newest_first_and_priorities_order_the_queue() {
    let p = Project::new();
    let low = p.submit(&["--priority", "low", "echo low >> order"]);
    let normal = p.submit(&["echo normal >> order"]);
    let critical = p.submit(&["--priority", "critical", "echo critical >> order"]);
    let out = p.bosun(&["tasks", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ids: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, [critical.as_str(), normal.as_str(), low.as_str()]);
    let _engine = p.start_engine(&["--max-workflows", "1"]);
    for id in [&low, &normal, &critical] {
        p.wait_finished(id, LONG);
    }
    assert_eq!(p.read("order"), "critical\nnormal\nlow\n");
}

#[test]
fn without_a_workflow_the_description_chooses_one_and_show_says_why() {
    let p = Project::new();
    let id = p.submit(&["lint and test the rust code with clippy"]);
    let task = p.show(&id);
    assert_eq!(task["workflow"], "rust-ci");
    assert!(
        task["workflow_reason"]
            .as_str()
            .is_some_and(|r| r.contains("matches")),
        "{task:#}"
    );
    let id = p.submit(&["ls -la"]);
    let task = p.show(&id);
    assert_eq!(task["workflow"], "shell");
    assert!(
        task["workflow_reason"]
            .as_str()
            .is_some_and(|r| r.contains("shell command"))
    );
    let text = String::from_utf8(p.bosun(&["show", &id]).stdout).expect("utf8");
    assert!(text.contains("runs as a shell command"), "{text}");
}

/// A command line runs as written: a project workflow sharing its words never replaces it,
/// and `submit` says on stderr what it chose. A request in words that matches nothing is
/// refused rather than run as a command that cannot exist.
#[test]
fn a_command_line_is_never_swapped_for_a_workflow_sharing_its_words() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/pytest-watch.yaml",
        "description: Run the python tests with pytest on every change
steps:
  - { id: all, skill: shell, with: { run: \"echo all tests\" } }
",
    );
    let out = p.bosun(&[
        "submit",
        "sh -c 'echo python -m pytest -q tests/test_encoding.py'",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("workflow shell: `sh` is a program")
            && said.contains("runs as a shell command"),
        "{said}"
    );
    assert_eq!(p.show(&id)["workflow"], "shell");

    let words = p.submit(&["the python tests with pytest"]);
    assert_eq!(
        p.show(&words)["workflow"],
        "pytest-watch",
        "a request in words still matches"
    );

    // A project's own tools (`.venv/bin`, `node_modules/.bin`) are programs too.
    p.write(".venv/bin/projtool", "#!/bin/sh\necho ran\n");
    let tool = p.path(".venv/bin/projtool");
    let mut perms = std::fs::metadata(&tool).expect("tool").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&tool, perms).expect("chmod");
    let out = p.bosun(&["submit", "projtool --fast tests"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains(".venv/bin/projtool"), "{said}");

    let out = p.bosun(&["submit", "frobnicate the widgets"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no program `frobnicate`") && err.contains("--workflow"),
        "{err}"
    );
}

#[test]
fn a_running_step_shows_its_output_so_far() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/slow.yaml",
        "steps:\n  - id: s\n    skill: shell\n    with: { run: \"echo halfway; while [ ! -e done ]; do sleep 0.05; done; echo finished\" }\n",
    );
    let _engine = engine(&p);
    let id = p.submit(&["--workflow", "slow", "slow printer"]);
    let running = p.wait_for(&id, LONG, |t| {
        support::step_status(t, "s") == Some("running") && t["steps"][0]["output"] == "halfway\n"
    });
    assert_eq!(running["status"], "running");
    std::fs::write(p.path("done"), "").expect("let it finish");
    let task = p.wait_finished(&id, LONG);
    assert_eq!(Project::step(&task, "s")["output"], "halfway\nfinished\n");
}

/// `show` keeps colours for a terminal only: piped, the escape codes are gone; `--json` keeps
/// the bytes as the step printed them.
#[test]
fn show_strips_colours_when_piped_and_json_keeps_them() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/colour.yaml",
        "steps:\n  - id: s\n    skill: shell\n    with: { run: \"printf '\\\\033[31mred\\\\033[0m text\\\\n'\" }\n",
    );
    let _engine = engine(&p);
    let id = p.submit(&["--workflow", "colour", "print in colour"]);
    let task = p.wait_finished(&id, LONG);
    assert_eq!(
        Project::step(&task, "s")["output"],
        "\u{1b}[31mred\u{1b}[0m text\n"
    );
    let text = String::from_utf8(p.bosun(&["show", &id]).stdout).expect("utf8");
    assert!(text.contains("│ red text"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

/// A `decide` question is a template like a `with` value: the question asked and recorded is
/// the rendered one.
#[test]
fn a_decide_question_is_rendered_against_the_run() {
    let p = Project::new();
    let yaml = "steps:\n  - { id: lint, skill: shell, with: { run: \"exit 1\" }, continue_on_error: true }\n  - id: ship\n    decide:\n      question: \"Tests pass{% if not steps.lint.ok %} but lint failed{% endif %}. Ship?\"\n      options: [ship, hold]\n      default: hold\n      risk: low\n";
    let task = run_workflow(&p, "gate", yaml, &["gate it"]);
    assert_eq!(Project::step(&task, "ship")["choice"], "hold", "{task:#}");
    let id = task["id"].as_str().expect("an id");
    let out = p.bosun(&["decisions", "--task", id, "--json"]);
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    let decide: Vec<&serde_json::Value> = all.iter().filter(|d| d["kind"] == "decide").collect();
    assert_eq!(decide.len(), 1, "{all:#?}");
    assert_eq!(decide[0]["question"], "Tests pass but lint failed. Ship?");
}
