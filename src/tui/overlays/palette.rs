//! `:`: every action by name, fuzzy-filtered as you type; `enter` runs the top (or selected)
//! one.

use crossterm::event::{KeyCode, KeyEvent};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{LayerOutcome, modal};
use crate::tui::fmt::{fit, pad};
use crate::tui::keymap::{Action, Keymap};
use crate::tui::panes::{RenderCtx, draw_lines};
use crate::tui::theme::Role;

#[derive(Debug)]
pub struct Palette {
    pub query: String,
    pub selected: usize,
    /// Each action with its keys, as shown.
    entries: Vec<(Action, String)>,
}

impl Palette {
    pub fn new(keymap: &Keymap) -> Palette {
        let entries = Action::ALL
            .iter()
            .filter(|a| !matches!(a, Action::Palette))
            .map(|a| (*a, keymap.keys_of(*a)))
            .collect();
        Palette {
            query: String::new(),
            selected: 0,
            entries,
        }
    }

    /// Actions matching the query, best first.
    pub fn matches(&self) -> Vec<Action> {
        if self.query.is_empty() {
            return self.entries.iter().map(|(a, _)| *a).collect();
        }
        let mut matcher = Matcher::new(Config::DEFAULT);
        let pattern = Pattern::parse(&self.query, CaseMatching::Ignore, Normalization::Smart);
        let names: Vec<String> = self
            .entries
            .iter()
            .map(|(a, _)| format!("{} {}", a.name().replace('_', " "), a.help()))
            .collect();
        let scored = pattern.match_list(
            names.iter().enumerate().map(|(i, n)| Indexed(i, n)),
            &mut matcher,
        );
        scored
            .into_iter()
            .map(|(Indexed(i, _), _)| self.entries[i].0)
            .collect()
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> LayerOutcome {
        match key.code {
            KeyCode::Esc => return LayerOutcome::Close,
            KeyCode::Enter => {
                return match self.matches().get(self.selected) {
                    Some(action) => LayerOutcome::Run(*action),
                    None => LayerOutcome::Keep,
                };
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => {
                self.selected = (self.selected + 1).min(self.matches().len().saturating_sub(1));
            }
            KeyCode::Backspace => {
                self.query.pop();
                self.selected = 0;
            }
            KeyCode::Char(c) => {
                self.query.push(c);
                self.selected = 0;
            }
            _ => {}
        }
        LayerOutcome::Keep
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx) {
        let inner = modal(frame, area, ctx, "Command palette", 70, 20);
        let width = usize::from(inner.width);
        let mut lines = vec![
            Line::from(vec![
                Span::styled(": ", ctx.theme.style(Role::KeyHint)),
                Span::styled(format!("{}▏", self.query), ctx.theme.style(Role::Text)),
            ]),
            Line::default(),
        ];
        for (i, action) in self.matches().into_iter().enumerate() {
            let keys = self
                .entries
                .iter()
                .find(|(a, _)| *a == action)
                .map(|(_, k)| k.as_str())
                .unwrap_or("");
            let mut line = Line::from(vec![
                Span::styled(pad(action.name(), 14), ctx.theme.style(Role::Accent)),
                Span::styled(pad(keys, 14), ctx.theme.style(Role::KeyHint)),
                Span::styled(
                    fit(action.help(), width.saturating_sub(28)),
                    ctx.theme.style(Role::Text),
                ),
            ]);
            if i == self.selected {
                line = line.patch_style(ctx.theme.style(Role::Selection));
            }
            lines.push(line);
        }
        draw_lines(frame, inner, lines, ctx.theme.style(Role::Overlay));
    }
}

/// An entry's position with its text, for the matcher.
struct Indexed<'a>(usize, &'a String);

impl AsRef<str> for Indexed<'_> {
    fn as_ref(&self) -> &str {
        self.1
    }
}
