//! Key sequences into `App::update` for a task's branch (DESIGN.md §9), exact effects out:
//! `d` opens the diff view and reads the diff, `m` and `D` ask first (the merge naming the task
//! it collides with) and then merge or discard; a task that cannot do it is told why instead;
//! `m` in the Inbox still remembers an answer; a worktree's change reloads the selected task.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use bosun::protocol::{Changes, EngineEvent, EventEnvelope, MergeStrategy, TaskId, WorktreeState};
use bosun::tui::fixtures::{self, worktree};
use bosun::tui::keymap::Action;
use bosun::tui::overlays::{ConfirmKind, Layer};
use bosun::tui::panes::PaneId;
use bosun::tui::panes::status_bar::Notice;
use bosun::tui::{App, Effect, Msg};

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    let effects = app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    effects
        .into_iter()
        .filter(|e| !matches!(e, Effect::LoadTask(_)))
        .collect()
}

fn shift(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::SHIFT,
    )))
}

fn t9() -> TaskId {
    TaskId("t-00000009".into())
}

fn screen(app: &mut App) -> String {
    app.update(Msg::Resize(120, 40));
    fixtures::text(&fixtures::draw(app, 120, 40))
}

fn notice(app: &App) -> String {
    match &app.notice {
        Some(Notice::Ok(text) | Notice::Error(text)) => text.clone(),
        None => String::new(),
    }
}

#[test]
fn d_opens_the_diff_view_and_fills_it_when_the_diff_is_read() {
    let mut app = worktree::worktree_screen();
    assert_eq!(app.tasks.selected, Some(t9()));
    assert_eq!(key(&mut app, KeyCode::Char('d')), [Effect::LoadDiff(t9())]);
    assert!(
        matches!(app.layers.last(), Some(Layer::Detail(d)) if d.diff_of == Some(t9())),
        "{:?}",
        app.layers
    );
    assert!(screen(&mut app).contains("(reading the diff…)"));
    app.update(Msg::Diff {
        task: t9(),
        diff: Ok(worktree::worktree_diff()),
    });
    let shown = screen(&mut app);
    assert!(shown.contains("src/config.rs | 8 +++++---"), "{shown}");
    assert!(
        shown.contains("+pub fn load(path: &Path) -> Result<Config, ConfigError> {"),
        "{shown}"
    );
    assert!(
        !shown.contains("[32m"),
        "colours are drawn, not printed: {shown}"
    );
    // esc closes it; the diff of a view already closed is dropped.
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.layers.is_empty());
    app.update(Msg::Diff {
        task: t9(),
        diff: Err("late".into()),
    });
    assert!(app.layers.is_empty());
}

#[test]
fn a_diff_that_cannot_be_read_says_why_in_the_view() {
    let mut app = worktree::worktree_screen();
    key(&mut app, KeyCode::Char('d'));
    app.update(Msg::Diff {
        task: t9(),
        diff: Err("task t-00000009's worktree was merged: there is nothing left to diff".into()),
    });
    assert!(screen(&mut app).contains("cannot read the diff: task t-00000009's worktree was"));
}

#[test]
fn m_asks_first_naming_the_collision_then_merges_the_way_chosen() {
    for (answer, how) in [
        ('y', MergeStrategy::Merge),
        ('s', MergeStrategy::Squash),
        ('r', MergeStrategy::Rebase),
    ] {
        let mut app = worktree::worktree_screen();
        assert!(key(&mut app, KeyCode::Char('m')).is_empty(), "asks first");
        assert!(matches!(
            app.layers.last(),
            Some(Layer::Confirm(c)) if matches!(&c.kind, ConfirmKind::MergeTask { id, .. } if *id == t9())
        ));
        let shown = screen(&mut app);
        assert!(
            shown.contains("Merge bosun/t-00000009 into main (2 ahead, 1 behind)?"),
            "{shown}"
        );
        assert!(
            shown.contains("It also changes files task t-00000010 changes: src/main.rs"),
            "the user is told before the merge: {shown}"
        );
        assert_eq!(
            key(&mut app, KeyCode::Char(answer)),
            [Effect::MergeTask { id: t9(), how }]
        );
        assert!(app.layers.is_empty());
        assert_eq!(notice(&app), format!("merging t-00000009 ({how})…"));
    }
    let mut app = worktree::worktree_screen();
    key(&mut app, KeyCode::Char('m'));
    assert!(
        key(&mut app, KeyCode::Char('n')).is_empty(),
        "n merges nothing"
    );
    assert!(app.layers.is_empty());
}

#[test]
fn shift_d_asks_then_discards() {
    let mut app = worktree::worktree_screen();
    assert!(shift(&mut app, 'D').is_empty(), "asks first");
    let shown = screen(&mut app);
    assert!(
        shown.contains("Discard what task t-00000009 did?"),
        "{shown}"
    );
    assert!(shown.contains("This cannot be undone."), "{shown}");
    assert_eq!(
        key(&mut app, KeyCode::Char('y')),
        [Effect::DiscardTask(t9())]
    );
    assert_eq!(notice(&app), "discarding t-00000009…");
    let mut app = worktree::worktree_screen();
    shift(&mut app, 'D');
    assert!(key(&mut app, KeyCode::Esc).is_empty(), "esc keeps it");
    assert!(app.layers.is_empty());
}

#[test]
fn the_workflow_pane_takes_the_same_keys() {
    let mut app = worktree::worktree_screen();
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, PaneId::Workflow);
    assert_eq!(key(&mut app, KeyCode::Char('d')), [Effect::LoadDiff(t9())]);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(
        key(&mut app, KeyCode::Char('y')),
        [Effect::MergeTask {
            id: t9(),
            how: MergeStrategy::Merge
        }]
    );
}

#[test]
fn a_task_without_a_worktree_is_told_why_nothing_happens() {
    // Task 3 of the typical screen runs in the project's checkout.
    let mut app = fixtures::typical("dark");
    for c in ['d', 'm'] {
        assert!(key(&mut app, KeyCode::Char(c)).is_empty());
        assert!(app.layers.is_empty());
        assert!(
            notice(&app).contains("project's checkout"),
            "{}",
            notice(&app)
        );
    }
    assert!(shift(&mut app, 'D').is_empty());
    assert!(app.layers.is_empty());
}

#[test]
fn a_running_worktree_task_is_diffed_but_not_merged_or_discarded() {
    let mut app = fixtures::app("dark");
    let mut detail = worktree::worktree_detail();
    detail.worktree = Some(worktree::worktree(9, WorktreeState::Active));
    let tasks = vec![fixtures::summary(
        9,
        bosun::protocol::TaskStatus::Running,
        "Rename the config loader",
        "rust-ci",
    )];
    fixtures::load(&mut app, tasks, Vec::new(), Some(detail));
    assert!(key(&mut app, KeyCode::Char('m')).is_empty());
    assert!(app.layers.is_empty());
    assert!(notice(&app).contains("still running in its worktree"));
    assert!(shift(&mut app, 'D').is_empty());
    assert!(app.layers.is_empty());
    assert_eq!(key(&mut app, KeyCode::Char('d')), [Effect::LoadDiff(t9())]);
}

#[test]
fn m_in_the_inbox_still_remembers_an_answer() {
    let mut app = worktree::worktree_screen();
    app.update(Msg::Changes(Box::new(Changes {
        events: Vec::new(),
        tasks: Vec::new(),
        inbox: Some(fixtures::typical_inbox()),
        stats: fixtures::stats(),
        last_seq: 101,
        overflow: false,
        logs: Vec::new(),
        last_log: 0,
    })));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, PaneId::Inbox);
    assert!(key(&mut app, KeyCode::Char('m')).is_empty());
    assert!(app.layers.is_empty(), "no merge from the Inbox");
    assert!(app.inbox.remember.is_some());
    // Nor from the Logs pane: the branch keys act where tasks are shown.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, PaneId::Logs);
    assert!(key(&mut app, KeyCode::Char('d')).is_empty());
    assert!(app.layers.is_empty());
}

#[test]
fn the_palette_merges_too() {
    let mut app = worktree::worktree_screen();
    app.run_action(Action::MergeTask);
    assert!(matches!(app.layers.last(), Some(Layer::Confirm(_))));
}

#[test]
fn a_worktree_change_reloads_the_selected_task_though_its_row_did_not_change() {
    let mut app = worktree::worktree_screen();
    let merged = Changes {
        events: vec![EventEnvelope {
            seq: 101,
            at: fixtures::ago(0),
            event: EngineEvent::WorktreeChanged {
                task_id: t9(),
                state: WorktreeState::Merged,
                note: Some("merged into main".into()),
            },
        }],
        tasks: Vec::new(),
        inbox: None,
        stats: fixtures::stats(),
        last_seq: 101,
        overflow: false,
        logs: Vec::new(),
        last_log: 0,
    };
    let effects = app.update(Msg::Changes(Box::new(merged)));
    assert!(effects.contains(&Effect::LoadTask(t9())), "{effects:?}");
}
