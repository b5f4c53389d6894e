//! A scrollable text overlay: a step's full output (an agent step's transcript too), a whole
//! question, a task's diff. Its text comes in parts, each drawn in a role of the theme; a program's own
//! colours in it win over the role's.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{LayerOutcome, modal};
use crate::protocol::TaskId;
use crate::tui::ansi;
use crate::tui::fmt::fit;
use crate::tui::keymap::Action;
use crate::tui::panes::{RenderCtx, draw_lines};
use crate::tui::theme::Role;

#[derive(Debug)]
pub struct Detail {
    pub title: String,
    /// The text with its colours read once (`ansi`); plain text where it has none.
    lines: Vec<Line<'static>>,
    /// The role each line is drawn in.
    roles: Vec<Role>,
    pub scroll: usize,
    /// The agent step whose transcript this view shows (and waits for, when it is not read
    /// yet): `(task, step)`.
    pub transcript_of: Option<(TaskId, String)>,
    /// The task whose diff this view shows (and waits for, when it is not read yet).
    pub diff_of: Option<TaskId>,
}

impl Detail {
    pub fn new(title: String, text: String) -> Detail {
        Detail::from_parts(title, vec![(Role::Text, text)])
    }

    /// A view of `parts`, each text drawn in its role.
    pub fn from_parts(title: String, parts: Vec<(Role, String)>) -> Detail {
        let mut detail = Detail {
            title,
            lines: Vec::new(),
            roles: Vec::new(),
            scroll: 0,
            transcript_of: None,
            diff_of: None,
        };
        detail.set_parts(parts);
        detail
    }

    /// Replaces the text, keeping the scroll where it can.
    pub fn set_parts(&mut self, parts: Vec<(Role, String)>) {
        self.lines.clear();
        self.roles.clear();
        for (role, text) in parts {
            let lines = ansi::lines(&text, Style::default());
            self.roles.extend(std::iter::repeat_n(role, lines.len()));
            self.lines.extend(lines);
        }
        self.scroll = self.scroll.min(self.lines.len().saturating_sub(1));
    }

    pub fn handle_key(&mut self, key: &KeyEvent, actions: &[Action]) -> LayerOutcome {
        if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
            return LayerOutcome::Close;
        }
        let last = self.lines.len().saturating_sub(1);
        for action in actions {
            match action {
                Action::Up => self.scroll = self.scroll.saturating_sub(1),
                Action::Down => self.scroll = (self.scroll + 1).min(last),
                Action::PageUp => self.scroll = self.scroll.saturating_sub(20),
                Action::PageDown => self.scroll = (self.scroll + 20).min(last),
                Action::Top => self.scroll = 0,
                Action::Bottom => self.scroll = last,
                _ => continue,
            }
            return LayerOutcome::Keep;
        }
        LayerOutcome::Keep
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx) {
        let inner = modal(
            frame,
            area,
            ctx,
            &self.title,
            area.width.saturating_sub(4),
            area.height.saturating_sub(2),
        );
        let width = usize::from(inner.width);
        let body = Rect {
            height: inner.height.saturating_sub(1),
            ..inner
        };
        let lines = self
            .lines
            .iter()
            .zip(&self.roles)
            .skip(self.scroll)
            .take(usize::from(body.height))
            .map(|(l, role)| {
                // The program's own colours win over the role's.
                let base = ctx.theme.style(*role);
                let spans: Vec<Span<'static>> = l
                    .spans
                    .iter()
                    .map(|s| Span::styled(s.content.clone(), base.patch(s.style)))
                    .collect();
                ansi::fit(Line::from(spans), width)
            })
            .collect();
        draw_lines(frame, body, lines, ctx.theme.style(Role::Overlay));
        let foot = format!(
            "line {}/{} · j/k scroll · esc closes",
            self.scroll + 1,
            self.lines.len().max(1)
        );
        draw_lines(
            frame,
            Rect {
                y: inner.y + inner.height.saturating_sub(1),
                height: 1,
                ..inner
            },
            vec![Line::from(Span::styled(
                fit(&foot, width),
                ctx.theme.style(Role::KeyHint),
            ))],
            ctx.theme.style(Role::Overlay),
        );
    }
}
