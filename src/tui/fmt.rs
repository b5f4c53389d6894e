//! Small text helpers shared by panes: durations, elapsed times, dollars, truncation to a
//! width, wrapping, and the spinner.

use time::OffsetDateTime;

use crate::time::parse_rfc3339;

/// Braille spinner frames, one per animation tick.
pub const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// `4s`, `2m05s`, `1h02m`, `3d04h`: short and of fixed shape.
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m{:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3_600, (s % 3_600) / 60),
        s => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3_600),
    }
}

/// Seconds from `start` to `end` (or to `now` while unfinished).
pub fn elapsed(start: Option<&str>, end: Option<&str>, now: OffsetDateTime) -> Option<i64> {
    let start = parse_rfc3339(start?)?;
    let end = end.and_then(parse_rfc3339).unwrap_or(now);
    Some((end - start).whole_seconds())
}

/// Seconds until `deadline` (negative once passed).
pub fn until(deadline: &str, now: OffsetDateTime) -> Option<i64> {
    Some((parse_rfc3339(deadline)? - now).whole_seconds())
}

/// `text` cut to `width` display columns, with `…` when cut. Counts chars, which is right for
/// the ASCII and box-drawing text Bosun draws.
pub fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// `text` padded with spaces (or cut) to exactly `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let fitted = fit(text, width);
    let len = fitted.chars().count();
    format!("{fitted}{}", " ".repeat(width.saturating_sub(len)))
}

/// The first line of `text`, without control characters.
pub fn one_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// Dollars as the status bar and the Workflow pane show them: `$0.00`, `<$0.01`, `$1.25`,
/// `$134`.
pub fn usd(dollars: f64) -> String {
    match dollars {
        d if d <= 0.0 || !d.is_finite() => "$0.00".to_string(),
        d if d < 0.01 => "<$0.01".to_string(),
        d if d < 100.0 => format!("${d:.2}"),
        d => format!("${d:.0}"),
    }
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `text` broken into lines of at most `width` columns at spaces; a word longer than a line is
/// cut with `…`.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word = fit(word, width);
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_short_and_never_round_to_nothing() {
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(0.0042), "<$0.01");
        assert_eq!(usd(0.0099), "<$0.01");
        assert_eq!(usd(1.254), "$1.25");
        assert_eq!(usd(134.4), "$134");
        assert_eq!(usd(f64::NAN), "$0.00");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(55), "55");
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(duration(4), "4s");
        assert_eq!(duration(125), "2m05s");
        assert_eq!(duration(3_720), "1h02m");
        assert_eq!(duration(-3), "0s");
    }

    #[test]
    fn fitting_cuts_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(pad("ab", 4), "ab  ");
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("the disk is full", 8), ["the disk", "is full"]);
        assert_eq!(wrap("a  b", 10), ["a b"]);
        assert_eq!(wrap("unbreakable word", 5), ["unbr…", "word"]);
        assert!(wrap("", 5).is_empty());
    }
}
