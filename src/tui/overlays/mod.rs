//! Modal layers drawn over the panes; the top one gets keys first. Each returns a
//! [`LayerOutcome`] instead of acting, so `update` stays pure.

mod confirm;
mod detail;
mod help;
pub mod new_task;
mod palette;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, BorderType, Borders, Clear};

pub use confirm::{Confirm, ConfirmKind};
pub use detail::Detail;
pub use help::Help;
pub use new_task::NewTaskForm;
pub use palette::Palette;

use super::keymap::Action;
use super::msg::Effect;
use super::panes::RenderCtx;
use super::theme::Role;
use crate::protocol::AnswerRequest;

/// One modal layer.
#[derive(Debug)]
pub enum Layer {
    Help(Help),
    Palette(Palette),
    Confirm(Confirm),
    NewTask(Box<NewTaskForm>),
    Detail(Detail),
}

/// What a layer did with a key.
#[derive(Debug, PartialEq)]
pub enum LayerOutcome {
    Keep,
    Close,
    /// Close and do these.
    CloseWith(Vec<Effect>),
    /// Stay open and do these.
    Effects(Vec<Effect>),
    /// Close and run this action as if its key had been pressed.
    Run(Action),
}

impl Layer {
    pub fn detail(title: impl Into<String>, text: impl Into<String>) -> Layer {
        Layer::Detail(Detail::new(title.into(), text.into()))
    }

    pub fn confirm_rule(request: AnswerRequest) -> Layer {
        Layer::Confirm(Confirm::new(ConfirmKind::WriteRule(request)))
    }

    pub fn engine_gone(why: String) -> Layer {
        Layer::Confirm(Confirm::new(ConfirmKind::EngineGone { why }))
    }

    pub fn handle_key(&mut self, key: &KeyEvent, actions: &[Action]) -> LayerOutcome {
        match self {
            Layer::Help(h) => h.handle_key(key, actions),
            Layer::Palette(p) => p.handle_key(key),
            Layer::Confirm(c) => c.handle_key(key),
            Layer::NewTask(f) => f.handle_key(key),
            Layer::Detail(d) => d.handle_key(key, actions),
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx) {
        match self {
            Layer::Help(h) => h.render(frame, area, ctx),
            Layer::Palette(p) => p.render(frame, area, ctx),
            Layer::Confirm(c) => c.render(frame, area, ctx),
            Layer::NewTask(f) => f.render(frame, area, ctx),
            Layer::Detail(d) => d.render(frame, area, ctx),
        }
    }
}

/// A centred box of at most `width` x `height` inside `area`, cleared, with a titled border;
/// returns the inner area.
pub fn modal(
    frame: &mut Frame,
    area: Rect,
    ctx: &RenderCtx,
    title: &str,
    width: u16,
    height: u16,
) -> Rect {
    let w = width
        .min(area.width.saturating_sub(2))
        .max(10.min(area.width));
    let h = height
        .min(area.height.saturating_sub(2))
        .max(3.min(area.height));
    let rect = Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    );
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(ctx.theme.style(Role::BorderFocused))
        .style(ctx.theme.style(Role::Overlay))
        .title(ratatui::text::Span::styled(
            format!(" {title} "),
            ctx.theme.style(Role::TitleFocused),
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}
