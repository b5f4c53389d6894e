//! Id newtypes. Task ids are short (`t-` and 8 base32 characters) because people type them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Crockford base32 without ambiguous letters, lower case for easy typing.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

fn random_suffix(len: usize) -> String {
    let mut bits = ulid::Ulid::new().random();
    (0..len)
        .map(|_| {
            let c = ALPHABET[(bits & 31) as usize] as char;
            bits >>= 5;
            c
        })
        .collect()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// A fresh random id.
            pub fn generate() -> Self {
                Self(format!(concat!($prefix, "-{}"), random_suffix(8)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }
    };
}

id_type!(
    /// A task in the queue.
    TaskId,
    "t"
);
id_type!(
    /// One execution of a task's workflow (a re-run makes a new one).
    RunId,
    "r"
);

id_type!(
    /// A question waiting in the inbox.
    EscalationId,
    "e"
);

/// A decision's id (`d-` and 12 base32 characters: there are many of them).
pub fn new_decision_id() -> String {
    format!("d-{}", random_suffix(12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_prefixed_and_distinct() {
        let a = TaskId::generate();
        let b = TaskId::generate();
        assert!(
            a.as_str().starts_with("t-") && a.as_str().len() == 10,
            "{a}"
        );
        assert_ne!(a, b);
    }
}
