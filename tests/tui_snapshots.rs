//! Snapshots of the interface (insta), drawn with a fixed clock and fixed ids: the whole screen
//! and every pane zoomed, empty, typical and overflowing, at 80x24 and 200x50; the overlays;
//! and one styled snapshot per bundled theme; the status bar and the inbox while the disk is
//! full. A snapshot changes only when the drawing does.

use crossterm::event::KeyCode;

use bosun::tui::fixtures::{self, draw, styled, text};
use bosun::tui::keymap::Action;
use bosun::tui::panes::PaneId;
use bosun::tui::{App, Msg};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

fn screen(app: &mut App, (w, h): (u16, u16)) -> String {
    app.update(Msg::Resize(w, h));
    text(&draw(app, w, h))
}

fn empty() -> App {
    let mut app = fixtures::app("dark");
    fixtures::load(&mut app, Vec::new(), Vec::new(), None);
    app
}

fn zoomed(mut app: App, pane: PaneId) -> App {
    app.focus = pane;
    app.zoom = true;
    app
}

#[test]
fn whole_screen() {
    for size in SIZES {
        let name = |state: &str| format!("screen_{state}_{}x{}", size.0, size.1);
        insta::assert_snapshot!(name("empty"), screen(&mut empty(), size));
        insta::assert_snapshot!(
            name("typical"),
            screen(&mut fixtures::typical("dark"), size)
        );
        insta::assert_snapshot!(
            name("overflowing"),
            screen(&mut fixtures::overflowing(), size)
        );
    }
}

#[test]
fn every_pane_zoomed() {
    for pane in PaneId::ALL {
        for size in SIZES {
            let name = |state: &str| {
                format!(
                    "{}_{state}_{}x{}",
                    pane.title().to_lowercase(),
                    size.0,
                    size.1
                )
            };
            insta::assert_snapshot!(name("empty"), screen(&mut zoomed(empty(), pane), size));
            let typical = zoomed(fixtures::typical("dark"), pane);
            insta::assert_snapshot!(name("typical"), screen(&mut { typical }, size));
            insta::assert_snapshot!(
                name("overflowing"),
                screen(&mut zoomed(fixtures::overflowing(), pane), size)
            );
        }
    }
}

#[test]
fn invalid_definitions_are_counted_in_the_status_bar() {
    for size in SIZES {
        let mut app = fixtures::typical("dark");
        let mut health = app.model.health.clone();
        health.definitions = vec![
            "/p/.bosun/config.yaml:2:29: engine.max_concurrent_workflows: invalid u64".into(),
            "/p/.bosun/policy.yaml:4:13: rules[0].action: unknown variant `perhaps`".into(),
        ];
        app.update(Msg::Health(health));
        let name = format!("screen_definition_errors_{}x{}", size.0, size.1);
        insta::assert_snapshot!(name, screen(&mut app, size));
        // The count is drawn in the HealthBad role: the status bar's styled line.
        let styled = styled(&draw(&app, size.0, size.1));
        let bar: Vec<&str> = styled.lines().rev().take(2).collect();
        let name = format!("styled_definition_errors_status_bar_{}x{}", size.0, size.1);
        insta::assert_snapshot!(name, format!("{}\n{}", bar[1], bar[0]));
    }
}

#[test]
fn a_full_disk_shows_in_the_status_bar_and_the_inbox() {
    for size in SIZES {
        // The typical screen (questions in the inbox) and the empty one: the notice sits above
        // the questions, or above "nothing waits on you".
        for (state, mut app) in [("typical", fixtures::typical("dark")), ("empty", empty())] {
            let mut health = app.model.health.clone();
            health.disk_full = Some("database or disk is full".into());
            app.update(Msg::Health(health));
            let name = format!("screen_disk_full_{state}_{}x{}", size.0, size.1);
            insta::assert_snapshot!(name, screen(&mut app, size));
        }
        // `disk full` is drawn in the HealthBad role: the status bar's styled line.
        let mut app = fixtures::typical("dark");
        let mut health = app.model.health.clone();
        health.disk_full = Some("database or disk is full".into());
        app.update(Msg::Health(health));
        let styled = styled(&draw(&app, size.0, size.1));
        let bar: Vec<&str> = styled.lines().rev().take(2).collect();
        let name = format!("styled_disk_full_status_bar_{}x{}", size.0, size.1);
        insta::assert_snapshot!(name, format!("{}\n{}", bar[1], bar[0]));
    }
}

#[test]
fn small_terminals_show_one_pane_with_tabs() {
    let mut app = fixtures::typical("dark");
    app.focus = PaneId::Inbox;
    insta::assert_snapshot!("narrow_60x20", screen(&mut app, (60, 20)));
}

#[test]
fn overlays() {
    let mut app = fixtures::typical("dark");
    app.run_action(Action::Help);
    insta::assert_snapshot!("overlay_help_80x24", screen(&mut app, (80, 24)));

    let mut app = fixtures::typical("dark");
    app.run_action(Action::NewTask);
    for c in "Fix the flaky test".chars() {
        app.update(Msg::Key(KeyCode::Char(c).into()));
    }
    app.update(Msg::Key(KeyCode::Tab.into()));
    for c in "sh".chars() {
        app.update(Msg::Key(KeyCode::Char(c).into()));
    }
    insta::assert_snapshot!("overlay_new_task_80x24", screen(&mut app, (80, 24)));
    insta::assert_snapshot!("overlay_new_task_200x50", screen(&mut app, (200, 50)));

    let mut app = fixtures::typical("dark");
    app.run_action(Action::Quit);
    insta::assert_snapshot!("overlay_quit_80x24", screen(&mut app, (80, 24)));

    let mut app = fixtures::typical("dark");
    app.run_action(Action::Palette);
    for c in "can".chars() {
        app.update(Msg::Key(KeyCode::Char(c).into()));
    }
    insta::assert_snapshot!("overlay_palette_80x24", screen(&mut app, (80, 24)));
}

#[test]
fn one_styled_snapshot_per_theme() {
    for theme in ["dark", "light", "high-contrast"] {
        let mut app = fixtures::typical(theme);
        app.update(Msg::Resize(80, 24));
        let buffer = draw(&app, 80, 24);
        insta::assert_snapshot!(format!("styled_{theme}_80x24"), styled(&buffer));
    }
}

/// cargo's and pytest's colours are drawn as colours in the Workflow pane, never as `[31m`.
#[test]
fn coloured_step_output_is_drawn_in_colour() {
    let mut detail = fixtures::typical_detail();
    let coloured = "\u{1b}[1m\u{1b}[32m   Compiling\u{1b}[0m app v0.1.0\n\
                    \u{1b}[31m-fn main() {}\u{1b}[0m\n\
                    \u{1b}[32m+fn main() { run() }\u{1b}[0m\n\
                    test result: \u{1b}[32mok\u{1b}[0m. 12 passed\n";
    for step in &mut detail.steps {
        step.output = Some(coloured.to_string());
    }
    let mut app = fixtures::app("dark");
    fixtures::load(
        &mut app,
        fixtures::typical_tasks(),
        Vec::new(),
        Some(detail),
    );
    let mut app = zoomed(app, PaneId::Workflow);
    let shown = screen(&mut app, (80, 24));
    assert!(shown.contains("-fn main() {}"), "{shown}");
    assert!(!shown.contains("[31m") && !shown.contains("[0m"), "{shown}");
    let buffer = draw(&app, 80, 24);
    let lines: Vec<String> = styled(&buffer)
        .split_inclusive('\n')
        .collect::<Vec<_>>()
        .chunks(2)
        .filter(|pair| pair[0].contains("fn main") || pair[0].contains("Compiling"))
        .map(|pair| pair.concat())
        .collect();
    assert!(!lines.is_empty(), "{shown}");
    insta::assert_snapshot!("styled_workflow_coloured_output_80x24", lines.concat());
}

/// With "remember" pending, the inbox says what the remembered answer will decide too.
#[test]
fn the_inbox_says_what_a_remembered_answer_covers() {
    use bosun::protocol::{DecisionKind, Risk};
    let mut node = fixtures::question(
        1,
        1,
        Risk::High,
        "Run `node -e 'console.log(1)'`?",
        &["allow", "deny"],
    );
    node.kind = DecisionKind::Command;
    node.skill = Some("shell".into());
    node.covers = Some("`node -e …`".into());
    let mut app = fixtures::app("dark");
    fixtures::load(&mut app, fixtures::typical_tasks(), vec![node], None);
    let mut app = zoomed(app, PaneId::Inbox);
    app.update(Msg::Key(KeyCode::Char('m').into()));
    app.update(Msg::Key(KeyCode::Char('m').into()));
    let shown = screen(&mut app, (80, 24));
    assert!(
        shown.contains("remember `node -e …` for this session"),
        "{shown}"
    );
    insta::assert_snapshot!("inbox_remember_session_80x24", shown);
}

/// The selected step's tail says when lines were cut and how to read them all, and shows its
/// stderr under its own rule.
#[test]
fn a_cut_step_output_says_so_and_stderr_has_its_own_rule() {
    let mut detail = fixtures::typical_detail();
    let long: String = (1..=60).map(|i| format!("line {i}\n")).collect();
    for step in &mut detail.steps {
        step.output = Some(long.clone());
        step.stderr = Some("warning: unused import\n".into());
    }
    let mut app = fixtures::app("dark");
    fixtures::load(
        &mut app,
        fixtures::typical_tasks(),
        Vec::new(),
        Some(detail),
    );
    let mut app = zoomed(app, PaneId::Workflow);
    let shown = screen(&mut app, (80, 24));
    assert!(shown.contains("── stderr"), "{shown}");
    assert!(shown.contains("warning: unused import"), "{shown}");
    assert!(shown.contains("line 60"), "{shown}");
    assert!(shown.contains("Enter shows all output"), "{shown}");
    // Without stderr too, the note takes the oldest line's row, never the newest's.
    let mut app = zoomed(app, PaneId::Workflow);
    let mut detail = app.model.detail.clone().expect("a task");
    for step in &mut detail.steps {
        step.stderr = None;
    }
    app.update(Msg::Task(Box::new(detail)));
    let shown = screen(&mut app, (80, 24));
    assert!(shown.contains("line 60"), "{shown}");
    assert!(shown.contains("Enter shows all output"), "{shown}");
}

/// Agents at work: the Workflow pane gives each agent step its line of turns, cost, calls and
/// the call in progress (side by side under a parallel block's nodes too), and the running
/// one's newest transcript lines below; the status bar says what agents spent today.
#[test]
fn agent_steps_show_their_figures_and_the_call_in_progress() {
    use bosun::tui::fixtures::agent;
    for size in SIZES {
        let name = |what: &str| format!("{what}_agent_{}x{}", size.0, size.1);
        let shown = screen(&mut agent::agent_screen(), size);
        assert!(shown.contains("$0.21"), "{shown}");
        insta::assert_snapshot!(name("screen"), shown);
        let shown = screen(&mut zoomed(agent::agent_screen(), PaneId::Workflow), size);
        assert!(
            shown.contains("6 turns · $0.18 · 9 calls · 1 denied"),
            "{shown}"
        );
        assert!(shown.contains("2 calls · Read: src/lexer.rs"), "{shown}");
        assert!(shown.contains("→ Read: src/lexer.rs"), "{shown}");
        insta::assert_snapshot!(name("workflow"), shown);
    }
    // Wide, the status bar says what the figure is; in the status bar's own style.
    let mut app = agent::agent_screen();
    let shown = screen(&mut app, (200, 50));
    assert!(shown.contains("· $0.21 today ·"), "{shown}");
    let styled = styled(&draw(&app, 200, 50));
    let bar: Vec<&str> = styled.lines().rev().take(2).collect();
    insta::assert_snapshot!(
        "styled_agent_status_bar_200x50",
        format!("{}\n{}", bar[1], bar[0])
    );
}

/// A question an agent's tool call raised shows the call: the command, or the file and its
/// edit with removed and added lines; Enter shows it whole.
#[test]
fn an_agent_question_shows_the_tool_and_its_input() {
    use bosun::tui::fixtures::agent;
    for size in SIZES {
        let shown = screen(&mut zoomed(agent::agent_screen(), PaneId::Inbox), size);
        assert!(shown.contains("Bash: git push origin main"), "{shown}");
        assert!(shown.contains("# Push the parser fix to origin"), "{shown}");
        assert!(shown.contains("-      - run: cargo test"), "{shown}");
        assert!(
            shown.contains("+      - run: cargo test --all-features"),
            "{shown}"
        );
        insta::assert_snapshot!(format!("inbox_agent_{}x{}", size.0, size.1), shown);
    }
    let mut app = zoomed(agent::agent_screen(), PaneId::Inbox);
    app.update(Msg::Key(KeyCode::Char('j').into()));
    app.update(Msg::Key(KeyCode::Enter.into()));
    let shown = screen(&mut app, (80, 24));
    assert!(shown.contains("+      - run: cargo test --doc"), "{shown}");
    insta::assert_snapshot!("overlay_agent_question_80x24", shown);
    // The removed and added lines are drawn in their own roles.
    let styled = styled(&draw(&app, 80, 24));
    let theme = bosun::tui::theme::Theme::bundled("dark").expect("the dark theme");
    let added = format!(
        "{:?}",
        theme
            .style(bosun::tui::theme::Role::DiffAdded)
            .fg
            .expect("a colour")
    );
    assert!(styled.contains(&added), "{styled}");
}

/// Enter on an agent step opens its output view, which reads the step's transcript: what
/// the agent said, its calls with their input, and their results.
#[test]
fn an_agent_steps_output_view_shows_its_transcript() {
    use bosun::protocol::TaskId;
    use bosun::tui::Effect;
    use bosun::tui::fixtures::agent;
    let mut app = zoomed(agent::agent_screen(), PaneId::Workflow);
    app.update(Msg::Key(KeyCode::Char('g').into()));
    app.update(Msg::Key(KeyCode::Char('j').into()));
    assert_eq!(app.workflow.selected.as_deref(), Some("fix"));
    let effects = app.update(Msg::Key(KeyCode::Enter.into()));
    let task = TaskId("t-00000003".into());
    assert!(
        effects.contains(&Effect::LoadTranscript {
            task: task.clone(),
            step: "fix".into()
        }),
        "{effects:?}"
    );
    assert!(screen(&mut app, (80, 24)).contains("(reading…)"));
    app.update(Msg::Transcript {
        task,
        step: "fix".into(),
        entries: Ok(agent::agent_transcript()),
    });
    for size in SIZES {
        let shown = screen(&mut app, size);
        assert!(
            shown.contains("→ Bash: cargo test lexer::numbers"),
            "{shown}"
        );
        assert!(shown.contains("+        let end = start + len;"), "{shown}");
        insta::assert_snapshot!(format!("overlay_agent_step_{}x{}", size.0, size.1), shown);
    }
}

/// A task in its own worktree: the Workflow pane's title names its branch, how far it is ahead
/// of and behind its base, its state and the task it collides with; `d` shows its diff (stat,
/// then patch, in git's colours); `m` and `D` ask first.
#[test]
fn a_worktree_task_shows_its_branch_and_its_diff() {
    use bosun::tui::fixtures::worktree;
    for size in SIZES {
        let name = |what: &str| format!("{what}_{}x{}", size.0, size.1);
        let mut app = worktree::worktree_screen();
        insta::assert_snapshot!(name("screen_worktree"), screen(&mut app, size));
        // The title's roles: the state and the collision stand out.
        let styled_title = styled(&draw(&app, size.0, size.1))
            .split_inclusive('\n')
            .collect::<Vec<_>>()
            .chunks(2)
            .find(|pair| pair[0].contains("Workflow"))
            .map(|pair| pair.concat())
            .unwrap_or_default();
        insta::assert_snapshot!(name("styled_workflow_worktree_title"), styled_title);

        app.run_action(Action::Diff);
        app.update(Msg::Diff {
            task: bosun::protocol::TaskId("t-00000009".into()),
            diff: Ok(worktree::worktree_diff()),
        });
        insta::assert_snapshot!(name("overlay_diff"), screen(&mut app, size));

        let mut app = worktree::worktree_screen();
        app.run_action(Action::MergeTask);
        insta::assert_snapshot!(name("overlay_merge"), screen(&mut app, size));

        let mut app = worktree::worktree_screen();
        app.run_action(Action::DiscardTask);
        insta::assert_snapshot!(name("overlay_discard"), screen(&mut app, size));
    }
}
