//! Drawing the Tasks pane: only the rows in view are built, so 10,000 tasks cost what 50 do.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::TasksPane;
use super::rows::{Row, StatusFilter};
use crate::protocol::{TaskStatus, TaskSummary, WorktreeState};
use crate::tui::fmt::{duration, elapsed, fit, pad};
use crate::tui::panes::{
    RenderCtx, draw_lines, empty_note, filter_line, pane_block, task_icon, task_role,
};
use crate::tui::theme::Role;

impl TasksPane {
    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx, focused: bool) {
        // Tasks in the store, not only those read so far (older ones load as the list scrolls).
        let total = ctx.model.total_tasks();
        let shown = self
            .rows()
            .iter()
            .filter(|r| matches!(r, Row::Task(_)))
            .count();
        let mut extra = if shown == total {
            format!("{total}")
        } else {
            format!("{shown} of {total}")
        };
        if self.status != StatusFilter::All {
            extra.push_str(&format!(" · {}", self.status.label()));
        }
        let block = pane_block(ctx, "Tasks", Some(extra), focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let body = filter_line(frame, inner, ctx, &self.text, self.editing);
        if !ctx.model.loaded {
            return empty_note(frame, body, ctx, "loading…");
        }
        if self.rows().is_empty() {
            let note = if total == 0 {
                "no tasks yet — press n to submit one"
            } else {
                "no task matches the filter (esc clears it)"
            };
            return empty_note(frame, body, ctx, note);
        }
        let width = usize::from(body.width);
        let lines = self
            .rows()
            .iter()
            .enumerate()
            .skip(self.offset)
            .take(usize::from(body.height))
            .map(|(pos, row)| match row {
                Row::Header { group, count } => Line::from(Span::styled(
                    fit(&format!("{} ({count})", group.title()), width),
                    ctx.theme.style(Role::GroupHeader),
                )),
                Row::Task(i) => {
                    let selected = self.selected_row() == Some(pos);
                    let task = &ctx.model.tasks[*i];
                    let repeated = self.is_repeated(&task.description);
                    task_line(task, ctx, width, selected, repeated)
                }
            })
            .collect();
        draw_lines(frame, body, lines, ctx.theme.style(Role::Text));
    }
}

/// `⠋ Fix the flaky test        rust-ci   3/5   2m05s`; columns drop as the pane narrows. A
/// description shared by several tasks (repeated watch runs) is told apart by its start time.
fn task_line<'a>(
    task: &TaskSummary,
    ctx: &RenderCtx,
    width: usize,
    selected: bool,
    repeated: bool,
) -> Line<'a> {
    let theme = ctx.theme;
    let status_style = theme.style(task_role(task.status));
    let progress = if task.steps_total > 0 {
        format!("{}/{}", task.steps_done, task.steps_total)
    } else {
        "–".to_string()
    };
    let time = match task.status {
        TaskStatus::Queued => elapsed(Some(&task.created_at), None, ctx.now),
        _ => elapsed(
            task.started_at.as_deref(),
            task.finished_at.as_deref(),
            ctx.now,
        ),
    }
    .map(duration)
    .unwrap_or_default();
    let wide = width >= 90;
    let workflow_w = if width >= 60 { 12 } else { 0 };
    let status_w = if wide { 10 } else { 0 };
    let id_w = if wide { 12 } else { 0 };
    let fixed = 2 + status_w + workflow_w + 6 + 7 + id_w;
    let desc_w = width.saturating_sub(fixed).max(4);
    let mut spans = vec![Span::styled(
        format!("{} ", task_icon(task.status, ctx.frame)),
        status_style,
    )];
    if wide {
        spans.push(Span::styled(
            pad(task.status.as_str(), status_w),
            status_style,
        ));
    }
    let mut first_line = crate::tui::fmt::one_line(&task.description);
    if repeated && let Some(at) = crate::time::parse_rfc3339(&task.created_at) {
        let local = at.to_offset(ctx.offset);
        first_line = format!(
            "{:02}:{:02}:{:02} {first_line}",
            local.hour(),
            local.minute(),
            local.second()
        );
    }
    let mut desc_w = desc_w;
    if let Some((mark, role)) = branch_mark(task) {
        spans.push(Span::styled(mark, theme.style(role)));
        desc_w = desc_w.saturating_sub(2).max(2);
    }
    spans.push(Span::styled(
        pad(&first_line, desc_w),
        theme.style(Role::Text),
    ));
    if workflow_w > 0 {
        spans.push(Span::styled(
            pad(&format!(" {}", task.workflow), workflow_w),
            theme.style(Role::Muted),
        ));
    }
    spans.push(Span::styled(
        format!("{progress:>5} "),
        theme.style(Role::Muted),
    ));
    spans.push(Span::styled(
        format!("{time:>6} "),
        theme.style(Role::Muted),
    ));
    if wide {
        spans.push(Span::styled(
            pad(&task.id.to_string(), id_w),
            theme.style(Role::Muted),
        ));
    }
    let mut line = Line::from(spans);
    if selected {
        line = line.patch_style(theme.style(Role::Selection));
    }
    line
}

/// `⎇ ` before a task whose branch waits in a worktree: its merge conflicted (as an error), or
/// it is ready to review and merge.
fn branch_mark(task: &TaskSummary) -> Option<(&'static str, Role)> {
    match task.worktree? {
        WorktreeState::Conflicted => Some(("⎇ ", Role::Error)),
        WorktreeState::Ready | WorktreeState::Merging => Some(("⎇ ", Role::Accent)),
        _ => None,
    }
}
