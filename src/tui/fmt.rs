//! Small text helpers shared by panes: durations, elapsed times, truncation to a width, and the
//! spinner.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
