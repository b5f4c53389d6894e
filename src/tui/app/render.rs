//! Laying out and drawing the whole screen. The layout is a pure function of the terminal
//! size, the focus and the zoom, so `update` can know pane heights without drawing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::App;
use crate::tui::panes::{PaneId, RenderCtx, status_bar};
use crate::tui::theme::Role;

/// Where each pane goes; a pane not shown has no area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub tasks: Option<Rect>,
    pub workflow: Option<Rect>,
    pub inbox: Option<Rect>,
    pub logs: Option<Rect>,
    /// The pane tabs shown when only one pane fits.
    pub tabs: Option<Rect>,
    pub status: Rect,
}

impl Areas {
    pub fn pane(&self, pane: PaneId) -> Option<Rect> {
        match pane {
            PaneId::Tasks => self.tasks,
            PaneId::Workflow => self.workflow,
            PaneId::Inbox => self.inbox,
            PaneId::Logs => self.logs,
        }
    }

    fn set(&mut self, pane: PaneId, area: Rect) {
        match pane {
            PaneId::Tasks => self.tasks = Some(area),
            PaneId::Workflow => self.workflow = Some(area),
            PaneId::Inbox => self.inbox = Some(area),
            PaneId::Logs => self.logs = Some(area),
        }
    }
}

/// Below this width or height the panes do not fit side by side: one pane at a time, with tabs.
const MIN_GRID: (u16, u16) = (70, 16);
/// From this width on, Tasks, Workflow and Inbox sit in three columns over the Logs.
const WIDE: u16 = 160;

/// Zoomed or small: the focused pane alone. Otherwise a 2x2 grid (Tasks | Workflow over
/// Inbox | Logs), or when wide three columns (Tasks | Workflow | Inbox) over the Logs.
pub fn layout(size: (u16, u16), focus: PaneId, zoom: bool) -> Areas {
    let full = Rect::new(0, 0, size.0, size.1);
    let [body, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(full);
    let mut areas = Areas {
        tasks: None,
        workflow: None,
        inbox: None,
        logs: None,
        tabs: None,
        status,
    };
    if zoom || size.0 < MIN_GRID.0 || size.1 < MIN_GRID.1 {
        let (tabs, pane) = if zoom {
            (None, body)
        } else {
            let [tabs, pane] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
            (Some(tabs), pane)
        };
        areas.tabs = tabs;
        areas.set(focus, pane);
        return areas;
    }
    if size.0 >= WIDE {
        let [top, logs] =
            Layout::vertical([Constraint::Percentage(68), Constraint::Percentage(32)]).areas(body);
        let [tasks, workflow, inbox] = Layout::horizontal([
            Constraint::Percentage(36),
            Constraint::Percentage(32),
            Constraint::Percentage(32),
        ])
        .areas(top);
        areas.tasks = Some(tasks);
        areas.workflow = Some(workflow);
        areas.inbox = Some(inbox);
        areas.logs = Some(logs);
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        let [tasks, workflow] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
        let [inbox, logs] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        areas.tasks = Some(tasks);
        areas.workflow = Some(workflow);
        areas.inbox = Some(inbox);
        areas.logs = Some(logs);
    }
    areas
}

impl App {
    /// Draws the whole screen from the state; never changes it.
    pub fn render(&self, frame: &mut Frame) {
        let area = frame.area();
        let ctx = RenderCtx {
            theme: &self.theme,
            model: &self.model,
            keymap: &self.keymap,
            now: self.now,
            offset: self.offset,
            frame: self.frame,
        };
        frame
            .buffer_mut()
            .set_style(area, self.theme.style(Role::Text));
        let areas = layout((area.width, area.height), self.focus, self.zoom);
        if let Some(tabs) = areas.tabs {
            self.render_tabs(frame, tabs, &ctx);
        }
        for pane in PaneId::ALL {
            let Some(rect) = areas.pane(pane) else {
                continue;
            };
            let focused = pane == self.focus;
            match pane {
                PaneId::Tasks => self.tasks.render(frame, rect, &ctx, focused),
                PaneId::Workflow => self.workflow.render(frame, rect, &ctx, focused, &self.logs),
                PaneId::Inbox => self.inbox.render(frame, rect, &ctx, focused),
                PaneId::Logs => self.logs.render(frame, rect, &ctx, focused),
            }
        }
        status_bar::render(
            frame,
            areas.status,
            &ctx,
            self.notice.as_ref(),
            &self.status_hint(),
        );
        for layer in &self.layers {
            layer.render(frame, area, &ctx);
        }
    }

    /// `Tasks · Workflow · Inbox (2) · Logs` with the focused one marked.
    fn render_tabs(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx) {
        let mut spans = Vec::new();
        for pane in PaneId::ALL {
            let mut title = pane.title().to_string();
            if pane == PaneId::Inbox && !self.model.inbox.is_empty() {
                title.push_str(&format!(" ({})", self.model.inbox.len()));
            }
            let role = if pane == self.focus {
                Role::TitleFocused
            } else {
                Role::Muted
            };
            spans.push(Span::styled(format!(" {title} "), ctx.theme.style(role)));
        }
        frame.render_widget(Line::from(spans), area);
    }
}
