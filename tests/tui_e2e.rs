//! The terminal interface end to end: the real `bosun` binary runs with no verb inside a
//! private tmux server at 120x36, and the test reads the screen (`tmux capture-pane`) at each
//! stage. It checks the empty screen (four panes and the status bar), a task submitted by
//! another process (`bosun submit`) showing up, submitting a task from the `n` form
//! (description, workflow picked by typing part of its name, ctrl-s), the task and its steps in
//! the Tasks and Workflow panes, the high-risk question in the Inbox, answering it with a digit,
//! the task ending under `done` (and in the store), and that `q` asks while work runs, `s`
//! stops it, and the process exits 0 and gives the terminal back (alternate screen left,
//! cursor shown, raw mode off). Also: a theme that does not exist is refused with exit 2,
//! naming it. And the screen keeps up with the engine: keys act at once while idle, a finished
//! task is drawn done, a task that starts waiting on a question is shown waiting.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::Project;
use support::tmux::{STAGE, Tmux, focused, pane, pane_text, status_bar, submit_shell, task_row};

const RELEASE: &str = r#"
description: Build, check in parallel, then ask before shipping
steps:
  - id: build
    skill: shell
    with: { run: "echo building" }
  - id: checks
    parallel:
      - { id: unit, skill: shell, with: { run: "echo unit ok" } }
      - { id: lint, skill: shell, with: { run: "echo lint ok" } }
  - id: ship
    decide: { question: "Ship the release to production?", options: [ship, hold], default: hold, risk: high }
  - { id: shipped, if: "steps.ship.choice == 'ship'", skill: shell, with: { run: "echo shipped" } }
  - { id: held, if: "steps.ship.choice == 'hold'", skill: shell, with: { run: "echo held" } }
"#;

fn json(p: &Project, args: &[&str]) -> Value {
    let out = p.bosun(args);
    assert!(
        out.status.success(),
        "bosun {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"))
}

/// Processes whose command line is exactly `argv`.
fn processes(argv: &[&str]) -> usize {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == want))
        .count()
}

/// The step the busy task runs; unusual, so the test can tell its process from any other.
const BUSY: &str = "sleep 613";

#[test]
fn submit_answer_and_quit_through_the_interface() {
    let p = Project::new();
    p.write(".bosun/workflows/release.yaml", RELEASE);
    let tmux = Tmux::start(&p, &[]);

    // The empty screen: four panes, the status bar, the alternate screen.
    let screen = tmux.wait_for("the four panes and the status bar", |s| {
        ["Tasks", "Workflow", "Inbox", "Logs"]
            .iter()
            .all(|t| pane(s, t).is_some())
            && pane_text(s, "Tasks").contains("no tasks yet")
            && pane_text(s, "Inbox").contains("nothing waits on you")
            && status_bar(s).contains("running 0/")
            && status_bar(s).contains("quit")
    });
    assert!(focused(&screen, "Tasks"), "Tasks starts focused:\n{screen}");
    assert_eq!(tmux.pane_format("#{alternate_on}"), "1", "alternate screen");

    // A long task from another process runs throughout, so `q` has something to ask about.
    submit_shell(&p, BUSY, "keep the engine busy");
    tmux.wait_for("the busy task, running, in the Tasks pane", |s| {
        pane_text(s, "Tasks").contains("running (1)")
            && task_row(s, ' ', "keep the engine busy")
            && status_bar(s).contains("running 1/")
    });

    // `n`: the form, description first.
    tmux.keys(&["n"]);
    tmux.wait_for("the new-task form", |s| {
        s.contains("New task") && s.contains("description")
    });
    tmux.type_text("Release 1.2 to production");
    tmux.wait_for("the description typed into the form", |s| {
        s.contains("New task") && s.contains("Release 1.2 to production")
    });
    // Tab to the workflow field; typing part of the name filters, the top match is chosen.
    tmux.keys(&["Tab"]);
    tmux.type_text("relea");
    tmux.wait_for("`release` as the top match", |s| {
        s.contains("relea▏") && s.contains("▶ release")
    });
    tmux.keys(&["C-s"]);

    // The task in the Tasks pane, its steps in the Workflow pane, the question in the Inbox.
    let screen = tmux.wait_for("the task, its steps and its question", |s| {
        let workflow = pane_text(s, "Workflow");
        !s.contains("New task")
            && status_bar(s).contains("submitted t-")
            && task_row(s, ' ', "Release 1.2 to production")
            && workflow.contains("release")
            && ["build", "checks", "unit", "lint", "ship", "shipped"]
                .iter()
                .all(|step| workflow.contains(step))
            && pane_text(s, "Inbox").contains("Ship the release to production?")
    });
    let inbox = pane_text(&screen, "Inbox");
    assert!(
        inbox.contains("1 ship") && inbox.contains("2 hold"),
        "the options, numbered:\n{inbox}"
    );

    // Tab, Tab: Tasks → Workflow → Inbox; `1` answers with the first option.
    tmux.keys(&["Tab"]);
    tmux.wait_for("the Workflow pane focused", |s| focused(s, "Workflow"));
    tmux.keys(&["Tab"]);
    tmux.wait_for("the Inbox pane focused", |s| focused(s, "Inbox"));
    tmux.keys(&["1"]);
    let screen = tmux.wait_for("the task done after the answer", |s| {
        pane_text(s, "Tasks").contains("done (1)")
            && task_row(s, '✓', "Release 1.2 to production")
            && status_bar(s).contains("answered")
    });
    assert!(
        !pane_text(&screen, "Inbox").contains("Ship the release"),
        "the answered question left the inbox:\n{screen}"
    );

    // The store agrees: the chosen branch ran, the other was skipped.
    let tasks = json(&p, &["tasks", "--json"]);
    let release = tasks
        .as_array()
        .expect("tasks --json is an array")
        .iter()
        .find(|t| t["description"] == "Release 1.2 to production")
        .unwrap_or_else(|| panic!("the form's task is not in the store: {tasks:#}"));
    assert_eq!(release["workflow"], "release", "{release:#}");
    let id = release["id"].as_str().expect("an id");
    let task = json(&p, &["show", id, "--json"]);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(Project::step(&task, "ship")["choice"], "ship", "{task:#}");
    assert_eq!(Project::step(&task, "shipped")["status"], "succeeded");
    assert_eq!(Project::step(&task, "held")["status"], "skipped");

    // Another task submitted by another process shows up, and finishes.
    submit_shell(&p, "echo hi", "from the cli");
    tmux.wait_for("the CLI's task, done, in the Tasks pane", |s| {
        pane_text(s, "Tasks").contains("done (2)") && task_row(s, '✓', "from the cli")
    });

    // `q` while work runs asks first; `s` stops it and quits.
    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", |s| {
        s.contains("Quit") && s.contains("s stop and quit")
    });
    tmux.keys(&["s"]);
    let screen = tmux.wait_for("the interface to exit", |s| s.contains("TTY "));
    assert!(screen.contains("EXITED 0"), "exit status 0:\n{screen}");
    // The terminal is given back: cooked mode, the normal screen, the cursor.
    assert!(
        screen.contains("TTY icanon echo"),
        "raw mode is off again:\n{screen}"
    );
    assert!(
        pane(&screen, "Tasks").is_none(),
        "the panes are gone with the alternate screen:\n{screen}"
    );
    assert_eq!(
        tmux.pane_format("#{alternate_on}"),
        "0",
        "alternate screen left"
    );
    assert_eq!(tmux.pane_format("#{cursor_flag}"), "1", "cursor shown");
    // Stopping ended the busy step's process.
    let argv: Vec<&str> = BUSY.split(' ').collect();
    support::eventually(STAGE, "the busy step's process ends", || {
        processes(&argv) == 0
    });
}

#[test]
fn an_unknown_theme_is_refused_naming_it() {
    // With no terminal `bosun` refuses before it looks at the theme, so this runs in tmux too.
    let p = Project::new();
    let tmux = Tmux::start(&p, &["--theme", "nope"]);
    let screen = tmux.wait_for("bosun to exit", |s| s.contains("TTY "));
    assert!(screen.contains("EXITED 2"), "exit status 2:\n{screen}");
    let message = screen
        .lines()
        .find(|l| l.starts_with("bosun:"))
        .unwrap_or_else(|| panic!("no error message:\n{screen}"));
    assert!(message.contains("nope"), "names the theme: {message}");
    assert!(
        screen.contains("TTY icanon echo"),
        "the terminal was not touched:\n{screen}"
    );

    // Without a terminal, the answer is to use `bosun run`.
    let out = p.bosun(&["--theme", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bosun run"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// The screen keeping up, one regression test for each bug this file found. The first two
// matter while the interface is idle (nothing runs, no question waits): it has no fast tick
// then, so a missed wake-up or a lost redraw shows until the next minute.

/// Waits for the idle interface on an empty project.
fn idle_interface(p: &Project) -> Tmux {
    let tmux = Tmux::start(p, &[]);
    tmux.wait_for("the four panes", |s| {
        pane_text(s, "Tasks").contains("no tasks yet") && pane(s, "Logs").is_some()
    });
    tmux
}

/// Polls for at most `limit` (shorter than [`STAGE`]): how long is what the test checks.
fn within(tmux: &Tmux, limit: Duration, what: &str, check: impl Fn(&str) -> bool) {
    let start = Instant::now();
    let screen = tmux.wait_for(what, &check);
    assert!(
        start.elapsed() <= limit,
        "{what} took {:?}, more than {limit:?}\n{screen}",
        start.elapsed()
    );
}

/// Keys used to wait for the next health check (up to 5 s) while idle.
#[test]
fn keys_take_effect_at_once_when_idle() {
    let p = Project::new();
    let tmux = idle_interface(&p);
    for _ in 0..3 {
        tmux.keys(&["n"]);
        within(&tmux, Duration::from_millis(1500), "the form opens", |s| {
            s.contains("New task")
        });
        tmux.keys(&["Escape"]);
        within(&tmux, Duration::from_millis(1500), "the form closes", |s| {
            !s.contains("New task")
        });
    }
}

/// A finished task could stay drawn as running until the next minute while idle.
#[test]
fn a_finished_task_is_drawn_done_when_idle() {
    let p = Project::new();
    let tmux = idle_interface(&p);
    for n in 1..=8 {
        let description = format!("quick task {n}");
        submit_shell(&p, "true", &description);
        within(
            &tmux,
            Duration::from_secs(3),
            &format!("`{description}` drawn done"),
            |s| task_row(s, '✓', &description) && status_bar(s).contains("running 0/"),
        );
    }
}

/// A task that starts waiting on a question could stay shown as running.
#[test]
fn a_task_waiting_on_a_question_is_shown_waiting() {
    let p = Project::new();
    p.write(".bosun/workflows/release.yaml", RELEASE);
    let tmux = idle_interface(&p);
    for n in 1..=10 {
        let id = p.submit(&["--workflow", "release", &format!("release {n}")]);
        p.wait_for(&id, STAGE, |t| t["status"] == "waiting");
        let header = format!("needs attention ({n})");
        let count = format!("waiting {n}");
        within(
            &tmux,
            Duration::from_secs(3),
            &format!("{n} task(s) shown waiting"),
            |s| pane_text(s, "Tasks").contains(&header) && status_bar(s).contains(&count),
        );
    }
}
