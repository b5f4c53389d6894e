//! Wall-clock timestamps as Bosun stores and prints them: RFC 3339 in UTC.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The current time as RFC 3339 UTC with millisecond precision, e.g. `2026-11-24T05:20:00.123Z`.
pub fn now_rfc3339() -> String {
    format_rfc3339(OffsetDateTime::now_utc())
}

/// Formats a time as RFC 3339 UTC with millisecond precision.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let millis = at.millisecond();
    let at = at
        .replace_nanosecond(u32::from(millis) * 1_000_000)
        .unwrap_or(at);
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Parses an RFC 3339 timestamp written by [`now_rfc3339`].
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_utc() {
        let text = now_rfc3339();
        assert!(text.ends_with('Z'), "{text}");
        let parsed = parse_rfc3339(&text).expect("parses");
        assert_eq!(format_rfc3339(parsed), text);
    }
}
