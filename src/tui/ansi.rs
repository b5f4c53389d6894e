//! Step output in colour: the ANSI escape codes that cargo, pytest and friends print become
//! styles (ansi-to-tui, from the ratatui organisation), so the Workflow pane and the output
//! view show colours rather than `[31m`. Whatever is left that is not text (other escapes,
//! control characters) is dropped, tabs become spaces, and lines are cut to the width.
//!
//! The theme's style for output is the base: a span keeps it where the program set nothing.

use ansi_to_tui::IntoText;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

/// `text` as lines of styled spans, on `base`.
pub fn lines(text: &str, base: Style) -> Vec<Line<'static>> {
    match text.into_text() {
        Ok(parsed) => parsed
            .lines
            .into_iter()
            .map(|line| clean(line, base))
            .collect(),
        // Not parseable as ANSI: shown as plain text, never lost.
        Err(_) => text
            .lines()
            .map(|l| clean(Line::from(l.to_string()), base))
            .collect(),
    }
}

/// A line's text without control characters, tabs expanded, each span on `base`.
fn clean(line: Line<'static>, base: Style) -> Line<'static> {
    let spans: Vec<Span<'static>> = line
        .spans
        .into_iter()
        .map(|span| {
            let text: String = span
                .content
                .replace('\t', "    ")
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            Span::styled(text, base.patch(own(line.style)).patch(own(span.style)))
        })
        .filter(|span| !span.content.is_empty())
        .collect();
    Line::from(spans)
}

/// What a program set itself: a reset (`ESC[0m`) means "the base again", not "the terminal's
/// default", so the theme still applies after it.
fn own(mut style: Style) -> Style {
    if style.fg == Some(Color::Reset) {
        style.fg = None;
    }
    if style.bg == Some(Color::Reset) {
        style.bg = None;
    }
    style
}

/// `line` cut to `width` characters, ending in `…` when it was longer.
pub fn fit(line: Line<'static>, width: usize) -> Line<'static> {
    let total: usize = line.spans.iter().map(|s| s.content.chars().count()).sum();
    if total <= width {
        return line;
    }
    let mut left = width.saturating_sub(1);
    let mut spans = Vec::new();
    for span in line.spans {
        if left == 0 {
            break;
        }
        let taken: String = span.content.chars().take(left).collect();
        left -= taken.chars().count();
        spans.push(Span::styled(taken, span.style));
    }
    if width > 0 {
        let style = spans.last().map(|s| s.style).unwrap_or_default();
        spans.push(Span::styled("…", style));
    }
    Line::from(spans)
}

/// The text of `line`, without its styles.
pub fn plain(line: &Line) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_become_styles_and_the_codes_are_gone() {
        let base = Style::default().fg(Color::Gray);
        let out = lines(
            "\u{1b}[31m-fn main()\u{1b}[0m\n\tok \u{1b}[1mbold\u{1b}[0m\u{7}",
            base,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(plain(&out[0]), "-fn main()");
        assert_eq!(out[0].spans[0].style.fg, Some(Color::Red));
        assert_eq!(plain(&out[1]), "    ok bold");
        assert_eq!(
            out[1].spans[0].style.fg,
            Some(Color::Gray),
            "the base where none is set"
        );
    }

    #[test]
    fn long_lines_are_cut_with_an_ellipsis() {
        let line = lines("\u{1b}[32mabcdef\u{1b}[0mghij", Style::default()).remove(0);
        let cut = fit(line, 8);
        assert_eq!(plain(&cut), "abcdefg…");
        assert_eq!(cut.spans[0].style.fg, Some(Color::Green));
    }
}
