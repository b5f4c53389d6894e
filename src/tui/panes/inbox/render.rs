//! Drawing the inbox: a header per batch, then each question on four lines, and between its
//! first two the head of what it asks about in full when it says (an agent's tool call: the
//! command, or the file and its edit, removed and added lines in their own roles). While the
//! disk is full, a notice above them all says so.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::InboxPane;
use crate::protocol::{EscalationView, RememberScope, Risk};
use crate::tui::agent;
use crate::tui::fmt::{duration, fit, one_line, until, wrap};
use crate::tui::panes::{RenderCtx, draw_lines, empty_note, pane_block};
use crate::tui::theme::Role;

/// Under this many seconds left, the countdown turns urgent.
const URGENT_SECS: i64 = 60;
/// Lines of a question's detail shown under it; the rest is in its full view (`enter`).
const DETAIL_ROWS: usize = 4;
/// What the pane says at its top while the disk is full.
const DISK_FULL: &str = "The disk is full: no new task starts; running ones wait to save. \
                         Bosun resumes by itself when space is freed.";

impl InboxPane {
    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx, focused: bool) {
        let inbox = &ctx.model.inbox;
        let extra = match ctx.model.current_batch() {
            Some(b) => {
                let n = inbox.iter().filter(|q| q.batch == b).count();
                Some(format!("batch {b} · {n} now · {} open", inbox.len()))
            }
            None => None,
        };
        let block = pane_block(ctx, "Inbox", extra, focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let inner = disk_full_notice(frame, inner, ctx);
        if inbox.is_empty() {
            return empty_note(frame, inner, ctx, "nothing waits on you");
        }
        let width = usize::from(inner.width);
        let mut lines = Vec::new();
        if self.apply_all || self.remember.is_some() {
            let mut mode = vec!["next answer:".to_string()];
            if self.apply_all {
                mode.push("applies to all similar".into());
            }
            if let Some(scope) = self.remember {
                let selected = inbox.iter().find(|q| self.selected.as_ref() == Some(&q.id));
                match (scope, selected.and_then(|q| q.covers.as_deref())) {
                    (RememberScope::Task | RememberScope::Session, Some(covers)) => {
                        mode.push(format!("remember {covers} for this {}", scope.as_str()));
                    }
                    _ => mode.push(format!("remembered for {}", scope.as_str())),
                }
            }
            lines.push(Line::from(Span::styled(
                fit(&mode.join(" "), width),
                ctx.theme.style(Role::Accent),
            )));
        }
        let mut selected_line = None;
        let mut batch = None;
        for q in inbox {
            if batch != Some(q.batch) {
                batch = Some(q.batch);
                let current = if Some(q.batch) == ctx.model.current_batch() {
                    " (current)"
                } else {
                    ""
                };
                lines.push(Line::from(Span::styled(
                    format!("batch {}{current}", q.batch),
                    ctx.theme.style(Role::GroupHeader),
                )));
            }
            let selected = self.selected.as_ref() == Some(&q.id);
            let shown = question_lines(q, ctx, width, selected);
            if selected {
                selected_line = Some(lines.len() + shown.len());
            }
            lines.extend(shown);
        }
        let height = usize::from(inner.height);
        // The selected question's last line in view.
        let offset = selected_line
            .map(|end| end.saturating_sub(height))
            .unwrap_or(0);
        draw_lines(
            frame,
            inner,
            lines.into_iter().skip(offset).collect(),
            ctx.theme.style(Role::Text),
        );
    }
}

/// While the disk is full, a notice at the top of the pane (no question can say it: nothing
/// can be written); the area left below it.
fn disk_full_notice(frame: &mut Frame, area: Rect, ctx: &RenderCtx) -> Rect {
    if ctx.model.health.disk_full.is_none() {
        return area;
    }
    let style = ctx.theme.style(Role::HealthBad);
    let lines: Vec<Line> = wrap(DISK_FULL, usize::from(area.width))
        .into_iter()
        .map(|l| Line::from(Span::styled(l, style)))
        .collect();
    // A blank row under it, before the questions.
    let used = u16::try_from(lines.len() + 1)
        .unwrap_or(u16::MAX)
        .min(area.height);
    draw_lines(frame, area, lines, ctx.theme.style(Role::Text));
    Rect::new(area.x, area.y + used, area.width, area.height - used)
}

fn risk_role(risk: Risk) -> Role {
    match risk {
        Risk::Low => Role::RiskLow,
        Risk::Medium => Role::RiskMedium,
        Risk::High => Role::RiskHigh,
        Risk::Critical => Role::RiskCritical,
    }
}

fn question_lines<'a>(
    q: &EscalationView,
    ctx: &RenderCtx,
    width: usize,
    selected: bool,
) -> Vec<Line<'a>> {
    let theme = ctx.theme;
    let muted = theme.style(Role::Muted);
    let left = until(&q.deadline, ctx.now).unwrap_or(0);
    let (clock, clock_role) = if left > 0 {
        (
            format!("{} left", duration(left)),
            if left < URGENT_SECS {
                Role::EscalationUrgent
            } else {
                Role::Muted
            },
        )
    } else {
        ("deadline passed".to_string(), Role::EscalationUrgent)
    };
    let risk = format!("{:<8}", q.risk.as_str());
    let marker = if selected { "▶ " } else { "  " };
    let question_w = width.saturating_sub(2 + 9 + clock.chars().count() + 1);
    let mut first = Line::from(vec![
        Span::styled(marker, theme.style(Role::Accent)),
        Span::styled(risk, theme.style(risk_role(q.risk))),
        Span::raw(" "),
        Span::styled(
            crate::tui::fmt::pad(&one_line(&q.question), question_w),
            theme.style(Role::Text),
        ),
        Span::raw(" "),
        Span::styled(clock, theme.style(clock_role)),
    ]);
    if selected {
        first = first.patch_style(theme.style(Role::Selection));
    }
    let origin = format!(
        "    {} / {} · {} · {}",
        q.task_id,
        q.step_id.as_deref().unwrap_or("-"),
        q.workflow.as_deref().unwrap_or("-"),
        q.kind.as_str()
    );
    let why = format!("    why: {}", one_line(&q.reason));
    let mut options: Vec<Span> = vec![Span::raw("    ")];
    for (i, option) in q.options.iter().enumerate() {
        let style = theme.style(Role::Text);
        options.push(Span::styled(
            format!("{} ", i + 1),
            theme.style(Role::KeyHint),
        ));
        options.push(Span::styled(option.clone(), style));
        if *option == q.default {
            options.push(Span::styled(" (default)", muted));
        }
        options.push(Span::raw("   "));
    }
    if !q.similar.is_empty() {
        options.push(Span::styled(
            format!("+{} similar (A answers all)", q.similar.len()),
            theme.style(Role::Accent),
        ));
    }
    let mut lines = vec![first];
    lines.extend(detail_lines(q.detail.as_deref(), ctx, width));
    lines.extend([
        Line::from(Span::styled(fit(&origin, width), muted)),
        Line::from(Span::styled(fit(&why, width), muted)),
        Line::from(options),
    ]);
    lines
}

/// The head of a question's detail, indented, each line in its role; the last row says how
/// many lines are left for the full view.
fn detail_lines<'a>(detail: Option<&str>, ctx: &RenderCtx, width: usize) -> Vec<Line<'a>> {
    let Some(detail) = detail.filter(|d| !d.trim().is_empty()) else {
        return Vec::new();
    };
    let all: Vec<&str> = detail.lines().collect();
    let cut = all.len() > DETAIL_ROWS;
    let shown = if cut { DETAIL_ROWS - 1 } else { all.len() };
    let mut lines: Vec<Line> = all[..shown]
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let text = format!("    {}", one_line(l));
            Line::from(Span::styled(
                fit(&text, width),
                ctx.theme.style(agent::detail_role(i, l)),
            ))
        })
        .collect();
    if cut {
        let more = format!(
            "    ┆ {} more · enter shows all",
            crate::text::count((all.len() - shown) as i64, "line")
        );
        lines.push(Line::from(Span::styled(
            fit(&more, width),
            ctx.theme.style(Role::Muted),
        )));
    }
    lines
}
