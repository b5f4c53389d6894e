//! Drawing the workflow graph and the selected step's output.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::graph::{Stage, stages};
use super::{WorkflowPane, step_look, title_parts};
use crate::protocol::{LogLevel, LogLine, StepView, TaskView};
use crate::tui::fmt::{duration, fit, pad};
use crate::tui::panes::logs::LogsPane;
use crate::tui::panes::{RenderCtx, draw_lines, empty_note, pane_block_parts};
use crate::tui::theme::Role;
use crate::tui::{agent, ansi};

/// The narrowest column a side-by-side branch gets; below it branches stack.
const MIN_COLUMN: usize = 18;

impl WorkflowPane {
    /// Draws the pane; `logs` holds an agent step's newest transcript lines.
    pub fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        ctx: &RenderCtx,
        focused: bool,
        logs: &LogsPane,
    ) {
        let task = ctx
            .model
            .detail
            .as_ref()
            .filter(|t| Some(&t.id) == self.task.as_ref());
        let block = pane_block_parts(ctx, "Workflow", title_parts(task, area.width), focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let Some(task) = task else {
            return empty_note(frame, inner, ctx, "select a task to see its workflow");
        };
        if task.steps.is_empty() {
            let note = format!("{} — steps appear when it starts", task.status);
            return empty_note(frame, inner, ctx, &note);
        }
        let (graph_area, detail_area) = if inner.height >= 12 {
            let detail = (inner.height * 2 / 5).max(4);
            (
                Rect {
                    height: inner.height - detail,
                    ..inner
                },
                Some(Rect {
                    y: inner.y + inner.height - detail,
                    height: detail,
                    ..inner
                }),
            )
        } else {
            (inner, None)
        };
        let (lines, selected_line) = self.graph_lines(task, ctx, usize::from(inner.width));
        let height = usize::from(graph_area.height);
        let offset = selected_line
            .map(|l| (l + 2).saturating_sub(height))
            .unwrap_or(0);
        draw_lines(
            frame,
            graph_area,
            lines.into_iter().skip(offset).collect(),
            ctx.theme.style(Role::Text),
        );
        if let Some(area) = detail_area
            && let Some(step) = self
                .selected
                .as_ref()
                .and_then(|s| task.steps.iter().find(|x| &x.id == s))
        {
            let transcript = match step.agent {
                Some(_) => logs.of_step(&task.id, &step.id, usize::from(area.height)),
                None => Vec::new(),
            };
            draw_lines(
                frame,
                area,
                detail_lines(step, ctx, area, &transcript),
                ctx.theme.style(Role::Text),
            );
        }
    }

    /// The graph's lines and the line of the selected node.
    fn graph_lines<'a>(
        &self,
        task: &TaskView,
        ctx: &RenderCtx,
        width: usize,
    ) -> (Vec<Line<'a>>, Option<usize>) {
        let muted = ctx.theme.style(Role::Muted);
        let mut lines: Vec<Line> = Vec::new();
        let mut selected_line = None;
        let stages = stages(&task.steps);
        for (n, stage) in stages.iter().enumerate() {
            if n > 0 {
                lines.push(Line::from(Span::styled("│", muted)));
            }
            match stage {
                Stage::Single(i) => {
                    if self.is_selected(&task.steps[*i]) {
                        selected_line = Some(lines.len());
                    }
                    lines.push(self.node(&task.steps[*i], ctx, width, true));
                    lines.extend(agent_line(&task.steps[*i], ctx, "  ", width));
                }
                Stage::Parallel { block, branches } => {
                    let head = &task.steps[*block];
                    let (role, icon) = step_look(head.status, ctx.frame);
                    lines.push(Line::from(vec![
                        Span::styled(format!("{icon} "), ctx.theme.style(role)),
                        Span::styled(head.id.clone(), ctx.theme.style(Role::Text)),
                        Span::styled(format!("  parallel · {} branches", branches.len()), muted),
                    ]));
                    let columns = branches.len().max(1);
                    let column = width / columns;
                    if column >= MIN_COLUMN && columns > 1 {
                        lines.push(Line::from(Span::styled(
                            rule(columns, column, '├', '┬', '┐'),
                            muted,
                        )));
                        let mut spans = Vec::new();
                        for &b in branches {
                            if self.is_selected(&task.steps[b]) {
                                selected_line = Some(lines.len());
                            }
                            let node = self.node(&task.steps[b], ctx, column - 1, false);
                            let used: usize =
                                node.spans.iter().map(|s| s.content.chars().count()).sum();
                            spans.extend(node.spans);
                            spans.push(Span::raw(" ".repeat(column.saturating_sub(used))));
                        }
                        lines.push(Line::from(spans));
                        // The branches' agent lines, side by side under their nodes.
                        let figures: Vec<Option<Line>> = branches
                            .iter()
                            .map(|&b| agent_line(&task.steps[b], ctx, "  ", column - 1))
                            .collect();
                        if figures.iter().any(Option::is_some) {
                            let mut spans = Vec::new();
                            for figure in figures {
                                let line = figure.unwrap_or_default();
                                let used: usize =
                                    line.spans.iter().map(|s| s.content.chars().count()).sum();
                                spans.extend(line.spans);
                                spans.push(Span::raw(" ".repeat(column.saturating_sub(used))));
                            }
                            lines.push(Line::from(spans));
                        }
                        lines.push(Line::from(Span::styled(
                            rule(columns, column, '├', '┴', '┘'),
                            muted,
                        )));
                    } else {
                        for (k, &b) in branches.iter().enumerate() {
                            if self.is_selected(&task.steps[b]) {
                                selected_line = Some(lines.len());
                            }
                            let glyph = if k + 1 == branches.len() {
                                "└ "
                            } else {
                                "├ "
                            };
                            let mut node =
                                self.node(&task.steps[b], ctx, width.saturating_sub(2), true);
                            node.spans.insert(0, Span::styled(glyph, muted));
                            lines.push(node);
                            let under = if k + 1 == branches.len() {
                                "    "
                            } else {
                                "│   "
                            };
                            if let Some(mut line) =
                                agent_line(&task.steps[b], ctx, "", width.saturating_sub(4))
                            {
                                line.spans.insert(0, Span::styled(under, muted));
                                lines.push(line);
                            }
                        }
                    }
                }
            }
        }
        (lines, selected_line)
    }

    fn is_selected(&self, step: &StepView) -> bool {
        self.selected.as_deref() == Some(step.id.as_str())
    }

    /// `⠙ test  cargo-test  2×  12s` in `width` columns.
    fn node<'a>(
        &self,
        step: &StepView,
        ctx: &RenderCtx,
        width: usize,
        show_skill: bool,
    ) -> Line<'a> {
        let theme = ctx.theme;
        let (role, icon) = step_look(step.status, ctx.frame);
        let took = work_and_wait(step, ctx.now);
        let attempts = if step.attempts > 1 {
            format!("{}× ", step.attempts)
        } else {
            String::new()
        };
        let tail = format!(" {attempts}{took}");
        let skill = if show_skill && width >= 40 {
            format!("  {}", step.skill)
        } else {
            String::new()
        };
        let name_w = width
            .saturating_sub(2 + tail.chars().count() + skill.chars().count())
            .max(3);
        let mut line = Line::from(vec![
            Span::styled(format!("{icon} "), theme.style(role)),
            Span::styled(
                pad(&step.id, name_w.min(step.id.chars().count().max(1))),
                theme.style(Role::Text),
            ),
            Span::styled(skill, theme.style(Role::Muted)),
            Span::styled(tail, theme.style(Role::Muted)),
        ]);
        if self.is_selected(step) {
            line = line.patch_style(theme.style(Role::Selection));
        }
        line
    }
}

/// `├────┬────┐` across `columns` columns of `column` width.
fn rule(columns: usize, column: usize, first: char, mid: char, last: char) -> String {
    let mut out = String::new();
    for c in 0..columns {
        out.push(if c == 0 { first } else { mid });
        out.push_str(&"─".repeat(column.saturating_sub(1)));
    }
    out.pop();
    out.push(last);
    out
}

/// How long a step worked, and apart from it how long it waited on questions: `1s +34s asked`.
fn work_and_wait(step: &StepView, now: time::OffsetDateTime) -> String {
    match step.work_and_wait(now) {
        None => String::new(),
        Some((worked, 0)) => duration(worked),
        Some((worked, waited)) => format!("{} +{} asked", duration(worked), duration(waited)),
    }
}

/// An agent step's figures in a line under its node (`lead` before them), cut to `width`
/// columns; `None` for another step, or an agent that has done nothing yet.
fn agent_line<'a>(step: &StepView, ctx: &RenderCtx, lead: &str, width: usize) -> Option<Line<'a>> {
    let figures = agent::figures(step);
    if figures.is_empty() {
        return None;
    }
    let muted = ctx.theme.style(Role::Muted);
    let mut spans = vec![Span::styled(lead.to_string(), muted)];
    for (n, (role, text)) in figures.into_iter().enumerate() {
        if n > 0 {
            spans.push(Span::styled(" · ", muted));
        }
        spans.push(Span::styled(text, ctx.theme.style(role)));
    }
    Some(ansi::fit(Line::from(spans), width))
}

/// The selected step: a title rule, then its error and the tail of its output; for an agent
/// step its session first, and while it has no output yet its newest `transcript` lines.
fn detail_lines<'a>(
    step: &StepView,
    ctx: &RenderCtx,
    area: Rect,
    transcript: &[&LogLine],
) -> Vec<Line<'a>> {
    let width = usize::from(area.width);
    let muted = ctx.theme.style(Role::Muted);
    let mut title = format!("── {} · {} · {}", step.id, step.skill, step.status);
    if let Some(code) = step.exit_code {
        title.push_str(&format!(" · exit {code}"));
    }
    if let Some(choice) = &step.choice {
        title.push_str(&format!(" · chose {choice}"));
    }
    title.push(' ');
    let fill = width.saturating_sub(title.chars().count());
    let mut lines = vec![Line::from(Span::styled(
        fit(&format!("{title}{}", "─".repeat(fill)), width),
        muted,
    ))];
    if let Some(view) = &step.agent {
        lines.push(Line::from(Span::styled(
            fit(&agent::session_line(view), width),
            muted,
        )));
    }
    if let Some(error) = &step.error {
        for l in error.lines().take(3) {
            lines.push(Line::from(Span::styled(
                fit(l, width),
                ctx.theme.style(Role::Error),
            )));
        }
    }
    let room = usize::from(area.height).saturating_sub(lines.len());
    let output = step.output.as_deref().unwrap_or("").trim_end();
    let errors = step.stderr.as_deref().unwrap_or("").trim_end();
    if output.is_empty() && !transcript.is_empty() {
        let skip = transcript.len().saturating_sub(room);
        for line in &transcript[skip..] {
            lines.push(transcript_line(line, ctx, width));
        }
        return lines;
    }
    if output.is_empty() && errors.is_empty() {
        if step.error.is_none() {
            lines.push(Line::from(Span::styled("(no output)", muted)));
        }
        return lines;
    }
    // Both streams share the room: stderr (a failure's cause, a build's warnings) first.
    let (err_room, out_room) = match (errors.is_empty(), output.is_empty()) {
        (true, _) => (0, room),
        (false, true) => (room, 0),
        (false, false) => (room / 2, room - room / 2),
    };
    let mut cut = false;
    if !errors.is_empty() {
        let tail = tail_lines(errors, err_room.saturating_sub(1), ctx, &mut cut);
        let rule = format!("── stderr {}", "─".repeat(width.saturating_sub(10)));
        lines.push(Line::from(Span::styled(fit(&rule, width), muted)));
        lines.extend(tail.into_iter().map(|l| ansi::fit(l, width)));
    }
    let out_start = lines.len();
    if !output.is_empty() {
        let tail = tail_lines(output, out_room, ctx, &mut cut);
        lines.extend(tail.into_iter().map(|l| ansi::fit(l, width)));
    }
    if cut {
        // The last row says there is more and where to read it; its room comes from the
        // oldest output line shown, never the newest (a running step's latest line).
        let over = (lines.len() + 1).saturating_sub(usize::from(area.height));
        let from = if lines.len() - out_start > over {
            out_start
        } else {
            lines.len() - over.min(lines.len())
        };
        lines.drain(from..from + over.min(lines.len() - from));
        let more = "┆ earlier lines cut · Enter shows all output";
        lines.push(Line::from(Span::styled(fit(more, width), muted)));
    }
    lines
}

/// The last `room` lines of `text`, coloured; `cut` is set when lines before them were left.
/// Only the tail is parsed: a colour set before it is not carried in, which costs a line's
/// colour at worst and keeps a long output cheap to draw.
fn tail_lines(text: &str, room: usize, ctx: &RenderCtx, cut: &mut bool) -> Vec<Line<'static>> {
    let start = text
        .char_indices()
        .rev()
        .filter(|(_, c)| *c == '\n')
        .nth(room.saturating_sub(1))
        .map_or(0, |(i, _)| i + 1);
    let tail = ansi::lines(&text[start..], ctx.theme.style(Role::LogOutput));
    let skip = tail.len().saturating_sub(room);
    *cut |= start > 0 || skip > 0;
    tail.into_iter().skip(skip).collect()
}

/// One line an agent step logged (`agent → Bash: cargo test`), without the `agent` it begins
/// with: under the step's own title it goes without saying.
fn transcript_line<'a>(line: &LogLine, ctx: &RenderCtx, width: usize) -> Line<'a> {
    let text = line
        .text
        .strip_prefix("agent: ")
        .or_else(|| line.text.strip_prefix("agent "))
        .unwrap_or(&line.text);
    let role = match line.level {
        LogLevel::Error => Role::LogError,
        LogLevel::Warn => Role::LogWarn,
        _ if text.starts_with('→') => Role::Accent,
        _ if text.starts_with('←') => Role::Muted,
        _ => Role::LogOutput,
    };
    Line::from(Span::styled(fit(text, width), ctx.theme.style(role)))
}
