//! Asking before anything that cannot be undone: cancelling a task, writing a rule into the
//! policy file, quitting while work runs (stop it, or hand it to a background `bosun run`).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{LayerOutcome, modal};
use crate::protocol::{AnswerRequest, TaskId};
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
