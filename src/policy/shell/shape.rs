//! A command's shape: its words with the variable parts blanked — paths become `<path>`,
//! numbers `<n>`, hashes and uuids `<id>`, a script given to a shell `<script>` (its own
//! commands follow it in the analysis), code given inline to another interpreter `<code>`
//! (`node -e <code>`) — so near-identical commands compare equal.
//!
//! Invariant: only data collapses. The program, its subcommand and every option stay as
//! written, so `rm <path>` and `rm -rf <path>` are different shapes, and an answer remembered
//! for one never covers the other.

use super::command::Mark;

/// The shape of one command from its words and how each was used.
pub(super) fn of(words: &[(&str, Mark)]) -> String {
    words
        .iter()
        .map(|(word, mark)| match mark {
            Mark::Path => "<path>",
            Mark::Script => "<script>",
            Mark::Code => "<code>",
            Mark::Plain if is_number(word) => "<n>",
            Mark::Plain if is_id(word) => "<id>",
            Mark::Plain => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `42`, `1.5`, `30s`: a count, a size or a duration.
fn is_number(word: &str) -> bool {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &word[digits.len()..];
    unit.len() <= 2
        && !digits.is_empty()
        && digits.chars().next().is_some_and(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// A commit hash, a uuid, a ULID: long runs of hex (or base32) with digits in them.
fn is_id(word: &str) -> bool {
    let hex = word.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let digits = word.chars().any(|c| c.is_ascii_digit());
    let compact: String = word.chars().filter(|c| *c != '-').collect();
    let ulid = word.len() == 26
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    digits && ((hex && compact.len() >= 7) || ulid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_variable_parts() {
        let words = [
            ("git", Mark::Plain),
            ("show", Mark::Plain),
            ("3f2a9c1d", Mark::Plain),
            ("-n", Mark::Plain),
            ("5", Mark::Plain),
            ("src/x.rs", Mark::Path),
        ];
        assert_eq!(of(&words), "git show <id> -n <n> <path>");
        assert!(is_id("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_id("feature"));
        assert!(!is_id("deadbeef"));
        assert!(is_number("30s"));
        assert!(!is_number("main"));
    }
}
