//! A second interface: while `bosun run` works a project, `bosun` with no verb attaches to that
//! engine instead of being refused — through Redis, and without it. It sees tasks other
//! processes submit finish, submits from its own form (the running engine does the work), and
//! `q` leaves at once without stopping the engine.

mod support;

use support::Project;
use support::redis::RedisServer;
use support::tmux::{Tmux, pane_text, status_bar, submit_shell, task_row};

fn attached_interface(redis: &str) {
    let p = Project::new();
    let mut engine = p.start_engine(&["--redis", redis]);
    let tmux = Tmux::start(&p, &["--redis", redis]);
    tmux.wait_for("the interface, attached to the running engine", |s| {
        pane_text(s, "Logs").contains("attached to the engine")
            && pane_text(s, "Tasks").contains("no tasks yet")
    });

    // A task from a third process: the engine runs it, this interface sees it done.
    submit_shell(&p, "true", "from the command line");
    tmux.wait_for("the submitted task drawn done", |s| {
        task_row(s, '✓', "from the command line")
    });

    // A task from this interface's form: queued in the store, run by the other engine.
    tmux.keys(&["n"]);
    tmux.wait_for("the new-task form", |s| s.contains("New task"));
    tmux.type_text("echo typed in the second interface");
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("the typed task drawn done", |s| {
        task_row(s, '✓', "echo typed in the second interface")
    });
    let id = status_bar(&screen)
        .split_whitespace()
        .find(|w| w.starts_with("t-"))
        .map(str::to_string);
    let tasks = p.bosun(&["tasks", "--json"]);
    let tasks: serde_json::Value = serde_json::from_slice(&tasks.stdout).expect("tasks --json");
    let typed = tasks
        .as_array()
        .and_then(|t| {
            t.iter()
                .find(|t| t["description"] == "echo typed in the second interface")
        })
        .cloned()
        .expect("the typed task is in the store");
    assert_eq!(typed["status"], "succeeded", "{typed:#}");
    if let Some(id) = id {
        assert_eq!(typed["id"], id.as_str());
    }

    // `q` leaves without asking, and the engine goes on.
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the interface gone", |s| s.contains("EXITED"));
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(screen.contains("goes on running"), "{screen}");
    assert!(engine.is_running(), "the engine was not stopped");
    let after = p.submit(&["--workflow", "shell", "--input", "command=true", "after"]);
    let done = p.wait_finished(&after, support::tmux::STAGE);
    assert_eq!(done["status"], "succeeded");
}

#[test]
fn a_second_interface_attaches_through_redis() {
    let server = RedisServer::start();
    attached_interface(&server.url);
}

#[test]
fn a_second_interface_attaches_without_redis() {
    attached_interface("off");
}

/// An engine killed under an attached interface: the interface sees it gone, says so instead
/// of showing work running, offers to start one, and with `y` takes up the queue itself — the
/// task the dead engine was running runs again and finishes.
#[test]
fn an_attached_interface_notices_its_engine_died_and_offers_to_start_one() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wait.yaml",
        "steps:\n  - { id: wait, skill: shell, with: { run: \"while [ ! -e go ]; do sleep 0.1; done\" } }\n",
    );
    let engine = p.start_engine(&["--redis", "off"]);
    let task = p.submit(&["--workflow", "wait", "waits for go"]);
    p.wait_for(&task, support::tmux::STAGE, |t| t["status"] == "running");
    let tmux = Tmux::start(&p, &["--redis", "off"]);
    tmux.wait_for("the interface, attached", |s| {
        pane_text(s, "Logs").contains("attached to the engine")
            && status_bar(s).contains("running 1/")
    });

    engine.kill_hard();
    let screen = tmux.wait_for("the engine's death told", |s| {
        s.contains("The engine stopped") && s.contains("y start an engine")
    });
    assert!(status_bar(&screen).contains("engine stopped"), "{screen}");
    assert!(!status_bar(&screen).contains("running 1/"), "{screen}");

    tmux.keys(&["y"]);
    tmux.wait_for("an engine of its own", |s| {
        !s.contains("The engine stopped")
            && pane_text(s, "Logs").contains("engine running with the interface")
    });
    std::fs::write(p.path("go"), "").expect("let the step finish");
    let done = p.wait_finished(&task, support::tmux::STAGE);
    assert_eq!(done["status"], "succeeded", "{done:#}");
}
