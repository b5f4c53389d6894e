//! Key sequences into `App::update`, exact effects out (STYLE.md practice 5): submitting from
//! the form, answering from the inbox (by number, by initial, for the group, remembered),
//! cancelling and re-running, navigating with the selection kept by task id, quitting, and
//! staying idle when nothing changes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use bosun::protocol::{
    AnswerRequest, Changes, EscalationId, Priority, RememberScope, SubmitRequest, TaskId,
    TaskStatus,
};
use bosun::tui::fixtures;
use bosun::tui::overlays::Layer;
use bosun::tui::panes::PaneId;
use bosun::tui::{App, Effect, Msg, QuitMode};

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

fn chars(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| key(app, KeyCode::Char(c)))
        .collect()
}

/// Effects other than loading the selected task (which any move may ask for).
fn actions(effects: Vec<Effect>) -> Vec<Effect> {
    effects
        .into_iter()
        .filter(|e| !matches!(e, Effect::LoadTask(_)))
        .collect()
}

fn inbox_focused() -> App {
    let mut app = fixtures::typical("dark");
    app.update(Msg::Resize(120, 40));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, PaneId::Inbox);
    app
}

fn answer(escalation: &str, choice: &str, all: bool, remember: Option<RememberScope>) -> Effect {
    Effect::Answer(AnswerRequest {
        escalation: escalation.into(),
        choice: choice.into(),
        all,
        remember,
        via: bosun::tui::panes::inbox::VIA.into(),
    })
}

#[test]
fn the_form_submits_description_workflow_and_inputs() {
    let mut app = fixtures::typical("dark");
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('n'))),
        [Effect::LoadWorkflows]
    );
    chars(&mut app, "Fix the flaky test");
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "sh");
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "cargo test -p auth");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Right);
    let effects = actions(ctrl(&mut app, 's'));
    let expected = SubmitRequest {
        description: "Fix the flaky test".into(),
        workflow: Some("shell".into()),
        inputs: [("run".to_string(), "cargo test -p auth".to_string())].into(),
        priority: Priority::High,
        isolation: None,
        base: None,
    };
    assert_eq!(effects, [Effect::Submit(expected)]);
    // The form stays until the engine accepts the task; a refusal is shown in it.
    app.update(Msg::Submitted(Err(
        "workflow `shell` needs input `run`".into()
    )));
    match app.layers.last() {
        Some(Layer::NewTask(form)) => {
            assert!(form.error.as_deref().is_some_and(|e| e.contains("run")))
        }
        other => panic!("the form should stay open: {other:?}"),
    }
    app.update(Msg::Submitted(Ok(TaskId("t-00000009".into()))));
    assert!(app.layers.is_empty());
    assert_eq!(app.tasks.selected, Some(TaskId("t-00000009".into())));
}

#[test]
fn an_empty_description_is_refused_and_esc_cancels() {
    let mut app = fixtures::typical("dark");
    key(&mut app, KeyCode::Char('n'));
    assert!(actions(ctrl(&mut app, 's')).is_empty());
    assert!(matches!(app.layers.last(), Some(Layer::NewTask(f)) if f.error.is_some()));
    key(&mut app, KeyCode::Esc);
    assert!(app.layers.is_empty());
}

#[test]
fn the_top_workflow_match_is_chosen_and_empty_means_auto() {
    let mut app = fixtures::typical("dark");
    key(&mut app, KeyCode::Char('n'));
    chars(&mut app, "Release it");
    let effects = actions(ctrl(&mut app, 's'));
    assert!(matches!(&effects[..], [Effect::Submit(r)] if r.workflow.is_none()));
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "rel");
    let effects = actions(ctrl(&mut app, 's'));
    assert!(
        matches!(&effects[..], [Effect::Submit(r)] if r.workflow.as_deref() == Some("release"))
    );
}

#[test]
fn number_keys_and_initials_answer_the_selected_question() {
    let mut app = inbox_focused();
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('1'))),
        [answer("e-00000001", "ship", false, None)]
    );
    let mut app = inbox_focused();
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('h'))),
        [answer("e-00000001", "hold", false, None)]
    );
    // `j` moves (it is not an initial of any option here), then `d` answers deny.
    let mut app = inbox_focused();
    assert!(actions(key(&mut app, KeyCode::Char('j'))).is_empty());
    assert_eq!(app.inbox.selected, Some(EscalationId("e-00000002".into())));
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('d'))),
        [answer("e-00000002", "deny", false, None)]
    );
    // A number past the options does nothing.
    assert!(actions(key(&mut app, KeyCode::Char('7'))).is_empty());
}

#[test]
fn shift_a_applies_the_answer_to_the_group_and_m_remembers_it() {
    let mut app = inbox_focused();
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('1'))),
        [answer(
            "e-00000001",
            "ship",
            true,
            Some(RememberScope::Task)
        )]
    );
    // Both reset after one answer.
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('2'))),
        [answer("e-00000001", "hold", false, None)]
    );
}

#[test]
fn remembering_as_a_rule_asks_first() {
    let mut app = inbox_focused();
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('m'));
    }
    assert!(
        actions(key(&mut app, KeyCode::Char('1'))).is_empty(),
        "nothing before the confirmation"
    );
    assert!(matches!(app.layers.last(), Some(Layer::Confirm(_))));
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('y'))),
        [answer(
            "e-00000001",
            "ship",
            false,
            Some(RememberScope::Rule)
        )]
    );
    // Declining writes nothing.
    let mut app = inbox_focused();
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('m'));
    }
    key(&mut app, KeyCode::Char('1'));
    assert!(actions(key(&mut app, KeyCode::Char('n'))).is_empty());
    assert!(app.layers.is_empty());
}

#[test]
fn cancel_asks_then_cancels_the_selected_task_and_r_reruns_it() {
    let mut app = fixtures::typical("dark");
    app.update(Msg::Resize(120, 40));
    let selected = app.tasks.selected.clone().expect("a selection");
    assert_eq!(selected, TaskId("t-00000003".into()));
    assert!(actions(key(&mut app, KeyCode::Char('c'))).is_empty());
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('y'))),
        [Effect::Cancel(selected.clone())]
    );
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('r'))),
        [Effect::Rerun(selected)]
    );
}

#[test]
fn navigation_skips_headers_and_the_selection_follows_the_task_id() {
    let mut app = fixtures::typical("dark");
    app.update(Msg::Resize(120, 40));
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(
        app.tasks.selected,
        Some(TaskId("t-00000004".into())),
        "waiting first"
    );
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Down);
    assert_eq!(
        app.tasks.selected,
        Some(TaskId("t-00000003".into())),
        "over the running header"
    );
    // Another task starts waiting and jumps to the top: the selection stays on t-00000003.
    let mut moved = fixtures::summary(8, TaskStatus::Waiting, "Run the node test suite", "node-ci");
    moved.seq = 8;
    let changes = Changes {
        events: Vec::new(),
        tasks: vec![moved],
        inbox: None,
        stats: fixtures::stats(),
        last_seq: 101,
        overflow: false,
        logs: Vec::new(),
        last_log: 0,
    };
    app.update(Msg::Changes(Box::new(changes)));
    assert_eq!(app.tasks.selected, Some(TaskId("t-00000003".into())));
    // The status filter and the text filter narrow the list; esc clears them.
    key(&mut app, KeyCode::Char('/'));
    chars(&mut app, "changelog");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tasks.selected, Some(TaskId("t-00000005".into())));
    key(&mut app, KeyCode::Esc);
    assert!(app.tasks.text.is_empty());
}

#[test]
fn tab_cycles_panes_and_z_zooms() {
    let mut app = fixtures::typical("dark");
    let mut seen = vec![app.focus];
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
        seen.push(app.focus);
    }
    assert_eq!(
        seen,
        [
            PaneId::Tasks,
            PaneId::Workflow,
            PaneId::Inbox,
            PaneId::Logs,
            PaneId::Tasks
        ]
    );
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, PaneId::Logs);
    key(&mut app, KeyCode::Char('z'));
    assert!(app.zoom);
}

#[test]
fn quitting_asks_while_work_runs() {
    let mut app = fixtures::typical("dark");
    assert!(actions(key(&mut app, KeyCode::Char('q'))).is_empty());
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('b'))),
        [Effect::Quit(QuitMode::Detach)]
    );
    let mut app = fixtures::typical("dark");
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('s'))),
        [Effect::Quit(QuitMode::Stop)]
    );
    let mut idle = fixtures::app("dark");
    fixtures::load(&mut idle, Vec::new(), Vec::new(), None);
    assert_eq!(
        actions(key(&mut idle, KeyCode::Char('q'))),
        [Effect::Quit(QuitMode::Stop)]
    );
    assert_eq!(actions(ctrl(&mut idle, 'z')), [Effect::Suspend]);
}

#[test]
fn the_palette_runs_actions_by_name_and_help_opens() {
    let mut app = fixtures::typical("dark");
    key(&mut app, KeyCode::Char(':'));
    chars(&mut app, "zoom");
    key(&mut app, KeyCode::Enter);
    assert!(app.zoom);
    key(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.layers.last(), Some(Layer::Help(_))));
    key(&mut app, KeyCode::Esc);
    assert!(app.layers.is_empty());
}

#[test]
fn an_idle_screen_is_not_redrawn() {
    let mut app = fixtures::app("dark");
    fixtures::load(&mut app, Vec::new(), Vec::new(), None);
    app.dirty = false;
    // Nothing runs and nothing waits: the next tick is the clock's next minute.
    assert_eq!(app.next_tick(), std::time::Duration::from_secs(60));
    // The same health again, or a key nothing is bound to, changes nothing.
    app.update(Msg::Health(app.model.health.clone()));
    assert!(!app.dirty);
    key(&mut app, KeyCode::F(9));
    assert!(!app.dirty);
    // While something runs, the spinner ticks.
    let running = fixtures::typical("dark");
    assert!(running.next_tick() < std::time::Duration::from_secs(1));
}

#[test]
fn a_new_batch_notifies_once() {
    use bosun::protocol::{EngineEvent, EventEnvelope};
    let mut app = fixtures::typical("dark");
    let opened = |batch, notify| EventEnvelope {
        seq: 200 + batch,
        at: fixtures::ago(0),
        event: EngineEvent::EscalationOpened {
            task_id: TaskId("t-00000004".into()),
            step_id: None,
            escalation_id: EscalationId(format!("e-9{batch}")),
            batch,
            notify,
        },
    };
    let changes = |events| Changes {
        events,
        tasks: Vec::new(),
        inbox: Some(fixtures::typical_inbox()),
        stats: fixtures::stats(),
        last_seq: 300,
        overflow: false,
        logs: Vec::new(),
        last_log: 0,
    };
    // Batches 1 and 2 were open at start: no bell for them; batch 3 rings; past the rate
    // limit (notify false) nothing rings.
    let effects = app.update(Msg::Changes(Box::new(changes(vec![opened(2, true)]))));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Notify { .. })));
    let effects = app.update(Msg::Changes(Box::new(changes(vec![opened(3, true)]))));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Notify { bell: true, .. }))
    );
    let effects = app.update(Msg::Changes(Box::new(changes(vec![opened(4, false)]))));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Notify { .. })));
}

#[test]
fn a_later_message_that_changes_nothing_keeps_an_earlier_change_drawn() {
    let mut app = fixtures::typical("dark");
    app.dirty = false;
    let mut done = fixtures::summary(3, TaskStatus::Succeeded, "Upgrade tokio", "rust-ci");
    done.seq = 3;
    let changes = Changes {
        events: Vec::new(),
        tasks: vec![done],
        inbox: None,
        stats: fixtures::stats(),
        last_seq: 150,
        overflow: false,
        logs: Vec::new(),
        last_log: 0,
    };
    app.update(Msg::Changes(Box::new(changes)));
    // In the same batch: the same health again, and no new step output.
    app.update(Msg::Health(app.model.health.clone()));
    app.update(Msg::Outputs(Vec::new()));
    assert!(app.dirty, "the finished task must still be drawn");
}

#[test]
fn the_running_limit_follows_a_live_config_edit() {
    let mut app = fixtures::typical("dark");
    let mut health = app.model.health.clone();
    health.limit = Some(3);
    app.update(Msg::Health(health));
    assert_eq!(app.model.limit, 3);
    let screen = fixtures::text(&fixtures::draw(&app, 200, 50));
    let bar = screen.lines().last().unwrap_or_default();
    assert!(bar.contains("/3"), "{bar}");
    // An attached interface (no limit in its health) keeps what it has.
    let mut health = app.model.health.clone();
    health.limit = None;
    app.update(Msg::Health(health));
    assert_eq!(app.model.limit, 3);
}

/// An outcome in the status bar goes after a while and the help hint comes back; a newer one
/// starts its own time.
#[test]
fn status_bar_outcomes_go_after_a_while() {
    use bosun::tui::panes::status_bar::Notice;
    let mut app = fixtures::typical("dark");
    let start = fixtures::now();
    let at = |secs: i64| start + time::Duration::seconds(secs);
    app.update(Msg::Tick(at(0)));
    app.update(Msg::Done(Ok("answered e-1: allow".into())));
    app.update(Msg::Tick(at(1)));
    app.update(Msg::Tick(at(5)));
    assert_eq!(app.notice, Some(Notice::Ok("answered e-1: allow".into())));
    app.update(Msg::Tick(at(10)));
    assert_eq!(app.notice, None, "gone after a few seconds");

    app.update(Msg::Done(Err("cannot cancel t-1".into())));
    app.update(Msg::Tick(at(11)));
    app.update(Msg::Tick(at(25)));
    assert!(app.notice.is_some(), "an error stays longer");
    app.update(Msg::Tick(at(32)));
    assert_eq!(app.notice, None);
}

/// Until the user moves the selection, it follows the newest task: a watch run that starts and
/// fails is the one shown. Once moved, it stays; moving it back onto the newest follows again.
#[test]
fn the_selection_follows_new_work_until_the_user_moves_it() {
    let mut app = fixtures::app("dark");
    app.update(Msg::Resize(120, 40));
    let arrive = |app: &mut App, n: usize, status: TaskStatus, seq: i64| {
        let mut task = fixtures::summary(n, status, "rust-ci: src/lib.rs changed", "rust-ci");
        task.seq = seq;
        let changes = Changes {
            events: Vec::new(),
            tasks: vec![task],
            inbox: None,
            stats: fixtures::stats(),
            last_seq: 100 + seq,
            overflow: false,
            logs: Vec::new(),
            last_log: 0,
        };
        app.update(Msg::Changes(Box::new(changes)));
    };
    arrive(&mut app, 19, TaskStatus::Succeeded, 19);
    arrive(&mut app, 20, TaskStatus::Running, 20);
    assert_eq!(app.tasks.selected, Some(TaskId("t-00000020".into())));
    arrive(&mut app, 20, TaskStatus::Failed, 20);
    assert_eq!(
        app.tasks.selected,
        Some(TaskId("t-00000020".into())),
        "still shown when it fails"
    );
    arrive(&mut app, 21, TaskStatus::Queued, 21);
    assert_eq!(
        app.tasks.selected,
        Some(TaskId("t-00000021".into())),
        "the next run"
    );

    key(&mut app, KeyCode::Char('g'));
    let chosen = app.tasks.selected.clone();
    assert_ne!(chosen, Some(TaskId("t-00000021".into())));
    arrive(&mut app, 22, TaskStatus::Queued, 22);
    assert_eq!(app.tasks.selected, chosen, "the user's choice stays");
}

/// `x` dismisses the selected failed task from "needs attention"; on a task that did not fail
/// it says why not and does nothing. A settled failure is drawn with the done tasks.
#[test]
fn x_dismisses_a_failed_task_and_a_settled_failure_is_done() {
    use bosun::tui::panes::tasks::rows::Group;
    let mut app = fixtures::typical("dark");
    app.update(Msg::Resize(120, 40));
    let failed = TaskId("t-00000002".into());
    let model = app.model.clone();
    app.tasks.select(&model, failed.clone());
    assert_eq!(
        actions(key(&mut app, KeyCode::Char('x'))),
        [Effect::Dismiss(failed)]
    );
    let running = TaskId("t-00000008".into());
    app.tasks.select(&model, running);
    assert!(actions(key(&mut app, KeyCode::Char('x'))).is_empty());
    assert!(app.notice.is_some(), "says why nothing happened");

    let mut task = fixtures::summary(2, TaskStatus::Failed, "Fix the flaky login test", "rust-ci");
    assert_eq!(Group::of(&task, fixtures::now()), Group::Attention);
    task.settled = true;
    assert_eq!(Group::of(&task, fixtures::now()), Group::Done);
}
