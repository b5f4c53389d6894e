//! `?`: every key, global and per pane, built from the panes' own hints.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{LayerOutcome, modal};
use crate::tui::fmt::pad;
use crate::tui::keymap::Action;
use crate::tui::panes::{Hint, RenderCtx, draw_lines};
use crate::tui::theme::Role;

/// Sections of hints: a title and its lines.
#[derive(Debug)]
pub struct Help {
    pub sections: Vec<(String, Vec<Hint>)>,
    pub scroll: usize,
}

impl Help {
    pub fn new(sections: Vec<(String, Vec<Hint>)>) -> Help {
        Help {
            sections,
            scroll: 0,
        }
    }

    fn total_lines(&self) -> usize {
        self.sections.iter().map(|(_, h)| h.len() + 2).sum()
    }

    pub fn handle_key(&mut self, key: &KeyEvent, actions: &[Action]) -> LayerOutcome {
        if matches!(
            key.code,
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?')
        ) {
            return LayerOutcome::Close;
        }
        let last = self.total_lines().saturating_sub(1);
        for action in actions {
            match action {
                Action::Up => self.scroll = self.scroll.saturating_sub(1),
                Action::Down => self.scroll = (self.scroll + 1).min(last),
                Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
                Action::PageDown => self.scroll = (self.scroll + 10).min(last),
                _ => {}
            }
        }
        LayerOutcome::Keep
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx) {
        let inner = modal(frame, area, ctx, "Keys", 78, 40);
        let key_w = self
            .sections
            .iter()
            .flat_map(|(_, h)| h.iter().map(|x| x.keys.chars().count()))
            .max()
            .unwrap_or(8)
            .min(24);
        let mut lines = Vec::new();
        for (title, hints) in &self.sections {
            lines.push(Line::from(Span::styled(
                title.clone(),
                ctx.theme.style(Role::GroupHeader),
            )));
            for h in hints {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  {} ", pad(&h.keys, key_w)),
                        ctx.theme.style(Role::KeyHint),
                    ),
                    Span::styled(h.what.clone(), ctx.theme.style(Role::Text)),
                ]));
            }
            lines.push(Line::default());
        }
        draw_lines(
            frame,
            inner,
            lines.into_iter().skip(self.scroll).collect(),
            ctx.theme.style(Role::Overlay),
        );
    }
}
