//! The four panes and the status bar. Each pane owns only UI state (selection by durable id,
//! scroll, filters), takes keys through `handle_key` (returning an [`Outcome`]), draws with
//! `render(&self, …)`, and lists its own key hints, so help cannot drift from behaviour.

pub mod inbox;
pub mod logs;
pub mod status_bar;
pub mod tasks;
pub mod workflow;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};
use time::OffsetDateTime;

use super::keymap::{Action, Keymap};
use super::model::Model;
use super::msg::Effect;
use super::overlays::Layer;
use super::theme::{Role, Theme};

/// The panes, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Tasks,
    Workflow,
    Inbox,
    Logs,
}

impl PaneId {
    pub const ALL: [PaneId; 4] = [PaneId::Tasks, PaneId::Workflow, PaneId::Inbox, PaneId::Logs];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Tasks => "Tasks",
            PaneId::Workflow => "Workflow",
            PaneId::Inbox => "Inbox",
            PaneId::Logs => "Logs",
        }
    }

    pub fn next(self) -> PaneId {
        let i = PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0);
        PaneId::ALL[(i + 1) % 4]
    }

    pub fn prev(self) -> PaneId {
        let i = PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0);
        PaneId::ALL[(i + 3) % 4]
    }
}

/// What a pane did with a key.
#[derive(Debug, Default)]
pub enum Outcome {
    /// Not its key: the app tries its global bindings.
    #[default]
    Ignored,
    /// Used; nothing to do beyond redrawing.
    Handled,
    Effects(Vec<Effect>),
    /// Open a modal layer on top.
    Open(Layer),
}

/// One line of help: the keys and what they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub keys: String,
    pub what: String,
}

impl Hint {
    pub fn new(keys: impl Into<String>, what: impl Into<String>) -> Hint {
        Hint {
            keys: keys.into(),
            what: what.into(),
        }
    }

    /// `k/↑/j/↓  select a …`: the movement keys.
    pub fn moves(keymap: &Keymap, what: &str) -> Hint {
        Hint::new(
            format!(
                "{}/{}",
                keymap.keys_of(Action::Up),
                keymap.keys_of(Action::Down)
            ),
            what,
        )
    }

    /// A hint for a bound action, with its own help text.
    pub fn action(keymap: &Keymap, action: Action) -> Hint {
        Hint::new(keymap.keys_of(action), action.help())
    }
}

/// What every pane's `render` may read.
pub struct RenderCtx<'a> {
    pub theme: &'a Theme,
    pub model: &'a Model,
    pub keymap: &'a Keymap,
    /// UTC; panes show local times with `offset`.
    pub now: OffsetDateTime,
    pub offset: time::UtcOffset,
    /// Advances on every animation tick.
    pub frame: usize,
}

/// The bordered block of a pane, its title styled by focus.
pub fn pane_block<'a>(
    ctx: &RenderCtx,
    title: &'a str,
    extra: Option<String>,
    focused: bool,
) -> Block<'a> {
    let parts = extra.map(|e| (Role::Muted, e)).into_iter().collect();
    pane_block_parts(ctx, title, parts, focused)
}

/// A pane's block whose title goes on with `parts`, each in its own role.
pub fn pane_block_parts<'a>(
    ctx: &RenderCtx,
    title: &'a str,
    parts: Vec<(Role, String)>,
    focused: bool,
) -> Block<'a> {
    let theme = ctx.theme;
    let (border, title_role) = if focused {
        (Role::BorderFocused, Role::TitleFocused)
    } else {
        (Role::Border, Role::Title)
    };
    let mut spans = vec![Span::styled(format!(" {title} "), theme.style(title_role))];
    let last = parts.len().saturating_sub(1);
    for (i, (role, text)) in parts.into_iter().enumerate() {
        // A space before the border's line goes on, in the last part's role.
        let text = if i == last { format!("{text} ") } else { text };
        spans.push(Span::styled(text, theme.style(role)));
    }
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(theme.style(border))
        .title(Line::from(spans))
}

/// Draws `lines` into `area`, one per row, cut at the right edge.
pub fn draw_lines(frame: &mut Frame, area: Rect, lines: Vec<Line>, base: Style) {
    let buf = frame.buffer_mut();
    for (i, line) in lines.into_iter().enumerate() {
        let Ok(dy) = u16::try_from(i) else { break };
        if dy >= area.height {
            break;
        }
        buf.set_style(Rect::new(area.x, area.y + dy, area.width, 1), base);
        buf.set_line(area.x, area.y + dy, &line, area.width);
    }
}

/// A one-line notice drawn in the middle of an empty pane.
pub fn empty_note(frame: &mut Frame, area: Rect, ctx: &RenderCtx, text: &str) {
    if area.height == 0 {
        return;
    }
    let y = area.y + area.height / 2;
    let line = Line::from(Span::styled(
        super::fmt::fit(text, usize::from(area.width)),
        ctx.theme.style(Role::Muted),
    ))
    .centered();
    frame.render_widget(line, Rect::new(area.x, y, area.width, 1));
}

/// The role a task status is drawn in.
pub fn task_role(status: crate::protocol::TaskStatus) -> Role {
    use crate::protocol::TaskStatus as S;
    match status {
        S::Queued => Role::TaskQueued,
        S::Running => Role::TaskRunning,
        S::Waiting => Role::TaskWaiting,
        S::Succeeded => Role::TaskSucceeded,
        S::Failed => Role::TaskFailed,
        S::Cancelled => Role::TaskCancelled,
    }
}

/// A one-character mark for a task status (also readable without colour).
pub fn task_icon(status: crate::protocol::TaskStatus, frame: usize) -> &'static str {
    use crate::protocol::TaskStatus as S;
    match status {
        S::Queued => "·",
        S::Running => super::fmt::SPINNER[frame % super::fmt::SPINNER.len()],
        S::Waiting => "?",
        S::Succeeded => "✓",
        S::Failed => "✗",
        S::Cancelled => "⊘",
    }
}

/// Keys of a one-line text field (a filter): typing, backspace, `enter` ends editing, `esc`
/// ends it and clears the text. False for any other key.
pub fn edit_text(text: &mut String, editing: &mut bool, key: &crossterm::event::KeyEvent) -> bool {
    use crossterm::event::KeyCode;
    match key.code {
        KeyCode::Esc => {
            *editing = false;
            text.clear();
        }
        KeyCode::Enter => *editing = false,
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) => text.push(c),
        _ => return false,
    }
    true
}

/// Draws `/text` on the first line of `inner` when a filter is being typed or set, and returns
/// the rest of the area.
pub fn filter_line(
    frame: &mut Frame,
    inner: Rect,
    ctx: &RenderCtx,
    text: &str,
    editing: bool,
) -> Rect {
    if !editing && text.is_empty() {
        return inner;
    }
    let cursor = if editing { "▏" } else { "" };
    let line = Line::from(vec![
        Span::styled("/", ctx.theme.style(Role::KeyHint)),
        Span::styled(format!("{text}{cursor}"), ctx.theme.style(Role::Text)),
    ]);
    draw_lines(
        frame,
        Rect { height: 1, ..inner },
        vec![line],
        ctx.theme.style(Role::Text),
    );
    Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    }
}
