//! Drawing the log lines: time, level, source, text; search matches highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::LogsPane;
use crate::protocol::{LogLevel, LogLine};
use crate::tui::fmt::fit;
use crate::tui::panes::{RenderCtx, draw_lines, empty_note, filter_line, pane_block};
use crate::tui::theme::Role;

impl LogsPane {
    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx, focused: bool) {
        let task = ctx.model.detail.as_ref().map(|t| &t.id);
        let mut extra = vec![
            if self.follow {
                "following".to_string()
            } else {
                "paused".to_string()
            },
            format!("≥{}", self.min_level.as_str()),
        ];
        if self.task_only {
            extra.push(task.map_or("no task".to_string(), |t| t.to_string()));
        }
        let block = pane_block(ctx, "Logs", Some(extra.join(" · ")), focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let body = filter_line(frame, inner, ctx, &self.search, self.editing);
        let window = self.window(task, usize::from(body.height));
        if window.is_empty() {
            let note = if self.is_empty() {
                "no log lines yet"
            } else {
                "no line matches"
            };
            return empty_note(frame, body, ctx, note);
        }
        let width = usize::from(body.width);
        let lines = window
            .into_iter()
            .map(|l| self.line(l, ctx, width))
            .collect();
        draw_lines(frame, body, lines, ctx.theme.style(Role::Text));
    }

    fn line<'a>(&self, line: &LogLine, ctx: &RenderCtx, width: usize) -> Line<'a> {
        let theme = ctx.theme;
        let role = match line.level {
            LogLevel::Error => Role::LogError,
            LogLevel::Warn => Role::LogWarn,
            LogLevel::Info => Role::LogInfo,
            LogLevel::Output => Role::LogOutput,
            LogLevel::Debug | LogLevel::Trace => Role::LogDebug,
        };
        let time = local_time(&line.at, ctx.offset);
        let prefix = if width >= 60 {
            let source = fit(&line.source, 14);
            format!("{time} {:<5} {source:<14} ", line.level.as_str())
        } else {
            format!("{time} {:<5} ", line.level.as_str())
        };
        let room = width.saturating_sub(prefix.chars().count());
        let text = fit(&line.text.replace('\t', "    "), room);
        let mut spans = vec![Span::styled(prefix, theme.style(Role::Muted))];
        match (!self.search.is_empty())
            .then(|| text.to_lowercase().find(&self.search.to_lowercase()))
            .flatten()
            .filter(|&at| {
                text.is_char_boundary(at) && text.is_char_boundary(at + self.search.len())
            }) {
            Some(at) => {
                let end = at + self.search.len();
                spans.push(Span::styled(text[..at].to_string(), theme.style(role)));
                spans.push(Span::styled(
                    text[at..end].to_string(),
                    theme.style(Role::SearchMatch),
                ));
                spans.push(Span::styled(text[end..].to_string(), theme.style(role)));
            }
            None => spans.push(Span::styled(text, theme.style(role))),
        }
        Line::from(spans)
    }
}

/// `HH:MM:SS` in the local offset.
fn local_time(at: &str, offset: time::UtcOffset) -> String {
    crate::time::parse_rfc3339(at)
        .map(|t| {
            let t = t.to_offset(offset);
            format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
        })
        .unwrap_or_else(|| "--:--:--".into())
}
