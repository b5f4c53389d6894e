//! Asking before anything that cannot be undone: cancelling a task, writing a rule into the
//! policy file, quitting while work runs (stop it, or hand it to a background `bosun run`),
//! merging a task's branch (how: merge, squash or rebase) and discarding it. A merge that
//! collides with another task's changes says so here, before it is done.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{LayerOutcome, modal};
use crate::protocol::{AnswerRequest, MergeStrategy, TaskId, WorktreeView};
use crate::tui::msg::{Effect, QuitMode};
use crate::tui::panes::{RenderCtx, draw_lines};
use crate::tui::theme::Role;

#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmKind {
    CancelTask {
        id: TaskId,
        description: String,
    },
    WriteRule(AnswerRequest),
    /// `running` tasks are running or waiting.
    Quit {
        running: usize,
    },
    /// The engine this interface was attached to is gone.
    EngineGone {
        why: String,
    },
    /// Merge a task's branch into its base.
    MergeTask {
        id: TaskId,
        worktree: Box<WorktreeView>,
    },
    /// Remove a task's worktree and branch.
    DiscardTask {
        id: TaskId,
        worktree: Box<WorktreeView>,
    },
}

#[derive(Debug)]
pub struct Confirm {
    pub kind: ConfirmKind,
}

impl Confirm {
    pub fn new(kind: ConfirmKind) -> Confirm {
        Confirm { kind }
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> LayerOutcome {
        let KeyCode::Char(c) = key.code else {
            return if key.code == KeyCode::Esc {
                LayerOutcome::Close
            } else {
                LayerOutcome::Keep
            };
        };
        match (&self.kind, c) {
            (ConfirmKind::CancelTask { id, .. }, 'y') => {
                LayerOutcome::CloseWith(vec![Effect::Cancel(id.clone())])
            }
            (ConfirmKind::WriteRule(request), 'y') => {
                LayerOutcome::CloseWith(vec![Effect::Answer(request.clone())])
            }
            (ConfirmKind::Quit { .. }, 's') => {
                LayerOutcome::CloseWith(vec![Effect::Quit(QuitMode::Stop)])
            }
            (ConfirmKind::Quit { .. }, 'b') => {
                LayerOutcome::CloseWith(vec![Effect::Quit(QuitMode::Detach)])
            }
            (ConfirmKind::EngineGone { .. }, 'y') => {
                LayerOutcome::CloseWith(vec![Effect::Quit(QuitMode::TakeOver)])
            }
            (ConfirmKind::MergeTask { id, .. }, 'y' | 's' | 'r') => {
                let how = match c {
                    's' => MergeStrategy::Squash,
                    'r' => MergeStrategy::Rebase,
                    _ => MergeStrategy::Merge,
                };
                LayerOutcome::CloseWith(vec![Effect::MergeTask {
                    id: id.clone(),
                    how,
                }])
            }
            (ConfirmKind::DiscardTask { id, .. }, 'y') => {
                LayerOutcome::CloseWith(vec![Effect::DiscardTask(id.clone())])
            }
            (_, 'n') => LayerOutcome::Close,
            _ => LayerOutcome::Keep,
        }
    }

    fn text(&self) -> (String, Vec<String>, String) {
        match &self.kind {
            ConfirmKind::CancelTask { id, description } => (
                "Cancel task".into(),
                vec![
                    format!("Cancel {id}?"),
                    crate::tui::fmt::one_line(description),
                    "Its running steps are stopped; finished steps stay as they are.".into(),
                ],
                "y cancel it · n/esc keep it".into(),
            ),
            ConfirmKind::WriteRule(request) => (
                "Write a rule".into(),
                vec![
                    format!("Answer {} with `{}`", request.escalation, request.choice),
                    "and write a rule into .bosun/policy.yaml so that later matching".into(),
                    "questions are decided the same way without asking?".into(),
                ],
                "y answer and write the rule · n/esc neither".into(),
            ),
            ConfirmKind::Quit { running } => (
                "Quit".into(),
                vec![
                    format!(
                        "{} {} running or waiting on an answer.",
                        crate::text::count(*running as i64, "task"),
                        if *running == 1 { "is" } else { "are" }
                    ),
                    "s: stop them and quit — they resume where they stopped (a step cut".into(),
                    "   short runs again) the next time `bosun` or `bosun run` starts here.".into(),
                    "b: quit and keep them running in a background `bosun run`.".into(),
                ],
                "s stop and quit · b background · n/esc stay".into(),
            ),
            ConfirmKind::EngineGone { why } => (
                "The engine stopped".into(),
                vec![
                    format!("The engine this interface showed is gone: {why}."),
                    "Nothing runs the queue now; what was running is not moving.".into(),
                    "y: start an engine here — it takes up the queue, and a step that was cut"
                        .into(),
                    "   short runs again. Quitting this interface then stops it.".into(),
                ],
                "y start an engine · n/esc just watch".into(),
            ),
            ConfirmKind::MergeTask { id, worktree } => merge_text(id, worktree),
            ConfirmKind::DiscardTask { id, worktree } => discard_text(id, worktree),
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx) {
        let (title, body, keys) = self.text();
        let height = u16::try_from(body.len() + 4).unwrap_or(8);
        let inner = modal(frame, area, ctx, &title, 76, height);
        let mut lines: Vec<Line> = body
            .into_iter()
            .map(|l| Line::from(Span::styled(l, ctx.theme.style(Role::Text))))
            .collect();
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            keys,
            ctx.theme.style(Role::KeyHint),
        )));
        draw_lines(frame, inner, lines, ctx.theme.style(Role::Overlay));
    }
}

/// What a merge will do, and which other tasks change the same files (told before, not after).
fn merge_text(id: &TaskId, w: &WorktreeView) -> (String, Vec<String>, String) {
    let base = w.base.as_deref().unwrap_or("its base");
    let mut body = vec![
        format!(
            "Merge {} into {base} ({} ahead, {} behind)?",
            w.branch, w.ahead, w.behind
        ),
        format!(
            "Task {id} changed {}.",
            crate::text::count(i64::try_from(w.changed.len()).unwrap_or(i64::MAX), "file")
        ),
    ];
    for c in &w.collides {
        body.push(format!(
            "⚠ It also changes files task {} changes: {}",
            c.task_id,
            c.files.join(", ")
        ));
    }
    if !w.collides.is_empty() {
        body.push("  Whichever merges second may conflict.".into());
    }
    body.push("A conflict merges nothing: the task waits for you, its branch kept.".into());
    (
        "Merge a task's branch".into(),
        body,
        "y merge · s squash · r rebase · n/esc not now".into(),
    )
}

fn discard_text(id: &TaskId, w: &WorktreeView) -> (String, Vec<String>, String) {
    let changed = i64::try_from(w.changed.len()).unwrap_or(i64::MAX);
    (
        "Discard a task's branch".into(),
        vec![
            format!("Discard what task {id} did?"),
            format!(
                "Its branch {} ({}, {}) and its worktree",
                w.branch,
                crate::text::count(i64::from(w.ahead), "commit"),
                crate::text::count(changed, "changed file"),
            ),
            format!("  {}", w.path),
            format!(
                "are removed; nothing of it reaches {}. This cannot be undone.",
                w.base.as_deref().unwrap_or("its base")
            ),
        ],
        "y discard it · n/esc keep it".into(),
    )
}
