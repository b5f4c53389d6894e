//! Task and step statuses and priorities, with the names used in JSON, SQL and on the CLI.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A name that is not one of the allowed values.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{value}` is not a {what}; expected one of: {expected}")]
pub struct ParseError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// An enum of names: `ALL`, `as_str`, `Display` and `FromStr` over the same words.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ParseError {
                        what: $what,
                        value: s.to_string(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}
pub(super) use named_enum;

named_enum!(
    /// Where a task is in its life.
    TaskStatus, "task status", {
        Queued => "queued",
        Running => "running",
        Waiting => "waiting",
        Succeeded => "succeeded",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

named_enum!(
    /// Where a step is in its life.
    StepStatus, "step status", {
        Pending => "pending",
        Running => "running",
        Waiting => "waiting",
        Succeeded => "succeeded",
        Failed => "failed",
        Skipped => "skipped",
        Cancelled => "cancelled",
    }
);

named_enum!(
    /// Queue order: higher first, then oldest first.
    Priority, "priority", {
        Low => "low",
        Normal => "normal",
        High => "high",
        Critical => "critical",
    }
);

named_enum!(
    /// How much harm an action or decision can do; high and critical are never approved
    /// automatically once the policy lands.
    Risk, "risk", {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

impl Risk {
    /// High and critical decisions go to the user unless a rule says otherwise.
    pub fn needs_user(self) -> bool {
        matches!(self, Risk::High | Risk::Critical)
    }
}

impl TaskStatus {
    /// Finished for good: nothing will change it again (except a re-run).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

impl StepStatus {
    /// The step has an outcome that a restart must not redo.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Skipped | Self::Cancelled
        )
    }
}

impl Priority {
    /// The number stored in SQLite, so `ORDER BY priority DESC` is queue order.
    pub fn rank(self) -> i64 {
        match self {
            Self::Low => 0,
            Self::Normal => 1,
            Self::High => 2,
            Self::Critical => 3,
        }
    }

    pub fn from_rank(rank: i64) -> Self {
        match rank {
            i64::MIN..=0 => Self::Low,
            1 => Self::Normal,
            2 => Self::High,
            _ => Self::Critical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in TaskStatus::ALL {
            assert_eq!(s.as_str().parse::<TaskStatus>().ok(), Some(*s));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::from_rank(p.rank()), *p);
        }
        let err = "urgent".parse::<Priority>().expect_err("not a priority");
        assert!(
            err.to_string().contains("low normal high critical"),
            "{err}"
        );
    }
}
