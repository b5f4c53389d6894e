//! The `retention:` settings: how long the history of finished tasks (their events, log lines
//! and agent transcripts) and the decision ledger are kept before the engine prunes them.
//!
//! A duration here needs a unit (`90d`, `12h`, `2w`): elsewhere a bare number is seconds, and
//! `history: 90` meant as days would prune nearly everything at the next start. `off` and
//! `forever` both keep everything. Less than an hour is refused: the engine prunes hourly, and
//! a task's history should outlive the hour it finished in.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::parse_duration;

const DAY: u64 = 24 * 60 * 60;
/// The shortest retention accepted.
pub const MIN_RETENTION: Duration = Duration::from_secs(60 * 60);

/// How long something is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Forever,
    For(Duration),
}

impl Keep {
    /// The age past which it goes; `None` when kept forever.
    pub fn limit(self) -> Option<Duration> {
        match self {
            Keep::Forever => None,
            Keep::For(d) => Some(d),
        }
    }

    /// Reads `off`, `forever` or a duration with a unit.
    pub fn parse(text: &str) -> Result<Keep, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") || text.eq_ignore_ascii_case("forever") {
            return Ok(Keep::Forever);
        }
        if text.parse::<f64>().is_ok() {
            return Err(unitless(text));
        }
        parse_duration(text).map(Keep::For)
    }
}

fn unitless(text: &str) -> String {
    format!("`{text}` needs a unit: write e.g. 90d, 12h, 2w, or forever")
}

/// `90d`, `36h`, `forever`: as a config file would say it.
impl fmt::Display for Keep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Keep::Forever => f.write_str("forever"),
            Keep::For(d) if d.as_secs() % DAY == 0 && d.subsec_nanos() == 0 => {
                write!(f, "{}d", d.as_secs() / DAY)
            }
            Keep::For(d) if d.as_secs() % 3600 == 0 && d.subsec_nanos() == 0 => {
                write!(f, "{}h", d.as_secs() / 3600)
            }
            Keep::For(d) => write!(f, "{}", humantime::format_duration(d)),
        }
    }
}

impl Serialize for Keep {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Keep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeepVisitor;

        impl Visitor<'_> for KeepVisitor {
            type Value = Keep;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration with a unit such as 90d or 12h, or forever")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Keep, E> {
                Err(E::custom(unitless(&v.to_string())))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Keep, E> {
                Err(E::custom(unitless(&v.to_string())))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Keep, E> {
                Err(E::custom(unitless(&v.to_string())))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Keep, E> {
                // YAML 1.1 readers take a bare `off` for false.
                if v {
                    Err(E::custom("write a duration such as 90d, or forever"))
                } else {
                    Ok(Keep::Forever)
                }
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Keep, E> {
                Keep::parse(v).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(KeepVisitor)
    }
}

/// `retention:` resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionSettings {
    /// Events, log lines and agent transcripts of tasks finished longer ago than this go.
    /// Tasks, runs and steps stay, so the history list and `show` keep working.
    pub history: Keep,
    /// Decisions made longer ago than this go from the ledger (the day tallies stay). The
    /// hash-chained `.bosun/audit.jsonl` is never rewritten, whatever this says.
    pub audit: Keep,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            history: Keep::For(Duration::from_secs(90 * DAY)),
            audit: Keep::Forever,
        }
    }
}

/// `retention:` as one config layer writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialRetention {
    pub history: Option<Keep>,
    pub audit: Option<Keep>,
}

impl RetentionSettings {
    pub(super) fn apply(&mut self, layer: PartialRetention) {
        if let Some(keep) = layer.history {
            self.history = keep;
        }
        if let Some(keep) = layer.audit {
            self.audit = keep;
        }
    }

    pub(super) fn check(&self) -> Result<(), String> {
        for (key, keep) in [
            ("retention.history", self.history),
            ("retention.audit", self.audit),
        ] {
            if keep.limit().is_some_and(|d| d < MIN_RETENTION) {
                return Err(format!(
                    "{key} must be at least 1h (the engine prunes hourly), or forever; it is {keep}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(yaml: &str) -> Result<PartialRetention, String> {
        serde_saphyr::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn durations_with_units_and_forever_are_read() {
        let layer = read("history: 30d\naudit: 1y\n").expect("reads");
        assert_eq!(
            layer.history,
            Some(Keep::For(Duration::from_secs(30 * DAY)))
        );
        assert!(matches!(layer.audit, Some(Keep::For(_))));
        for forever in ["off", "forever", "Forever", "\"off\""] {
            let layer = read(&format!("history: {forever}\n")).expect(forever);
            assert_eq!(layer.history, Some(Keep::Forever), "{forever}");
        }
    }

    #[test]
    fn a_bare_number_is_refused_for_want_of_a_unit() {
        for bare in ["90", "\"90\"", "1.5"] {
            let err = read(&format!("history: {bare}\n")).expect_err(bare);
            assert!(err.contains("needs a unit"), "{bare}: {err}");
        }
        assert!(read("histroy: 30d\n").is_err(), "unknown keys are refused");
    }

    #[test]
    fn less_than_an_hour_is_refused_and_the_defaults_hold() {
        let mut settings = RetentionSettings::default();
        assert_eq!(settings.history.to_string(), "90d");
        assert_eq!(settings.audit, Keep::Forever);
        assert!(settings.check().is_ok());
        settings.apply(read("audit: 10m\n").expect("reads"));
        let err = settings.check().expect_err("too short");
        assert!(
            err.contains("retention.audit") && err.contains("10m"),
            "{err}"
        );
        settings.apply(read("audit: 36h\n").expect("reads"));
        assert!(settings.check().is_ok());
        assert_eq!(settings.audit.to_string(), "36h");
    }
}
