//! Wall-clock timestamps as Bosun stores and prints them: RFC 3339 in UTC.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The current time as RFC 3339 UTC with millisecond precision, e.g. `2026-11-24T05:20:00.123Z`.
pub fn now_rfc3339() -> String {
    format_rfc3339(OffsetDateTime::now_utc())
}

/// Today's UTC date, `YYYY-MM-DD`.
pub fn utc_day() -> String {
    let today = OffsetDateTime::now_utc().date();
    format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    )
}

/// The UTC midnight today began at, as RFC 3339: where "today" starts for the autonomy rate,
/// agents' spending and the day budget.
pub fn today_start() -> String {
    format_rfc3339(OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT))
}

/// Formats a time as RFC 3339 UTC with exactly three fraction digits. The fixed width matters:
/// the store compares and sorts these strings as text, and a trimmed fraction (`.23Z`) would
/// sort after `.232Z`.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// Parses an RFC 3339 timestamp written by [`now_rfc3339`].
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// The local UTC offset, read once (the first call must happen while the process has a single
/// thread, which `bosun`'s `main` does); UTC when it cannot be known.
pub fn local_offset() -> time::UtcOffset {
    static OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();
    *OFFSET.get_or_init(|| time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC))
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fraction_always_has_three_digits_so_text_order_is_time_order() {
        let at = parse_rfc3339("2026-11-24T06:20:00.230Z").expect("parses");
        assert_eq!(format_rfc3339(at), "2026-11-24T06:20:00.230Z");
        let whole = parse_rfc3339("2026-11-24T06:20:01Z").expect("parses");
        assert_eq!(format_rfc3339(whole), "2026-11-24T06:20:01.000Z");
        assert!(format_rfc3339(at) < format_rfc3339(at + time::Duration::milliseconds(2)));
    }

    #[test]
    fn round_trips_and_is_utc() {
        let text = now_rfc3339();
        assert!(text.ends_with('Z'), "{text}");
        let parsed = parse_rfc3339(&text).expect("parses");
        assert_eq!(format_rfc3339(parsed), text);
    }
}
