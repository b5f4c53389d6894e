//! Commands as a person would type them again: each word bare when it is plain, else quoted
//! (double quotes when it holds an expansion, so `$(…)` still reads as one; single quotes
//! otherwise). Reasons and questions quote a whole part this way, never a fragment of it.

/// The words of one command, quoted for reading.
pub fn words<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| word(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One word, quoted when a shell would read it differently bare.
pub fn word(w: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:@%+,~^".contains(c);
    if !w.is_empty() && w.chars().all(plain) {
        return w.to_string();
    }
    let expands = w.contains('$') || w.contains('`');
    if expands && !w.contains('"') && !w.contains('\\') {
        return format!("\"{w}\"");
    }
    format!("'{}'", w.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(
            words(&["node", "-e", "console.log(1)"]),
            "node -e 'console.log(1)'"
        );
        assert_eq!(words(&["echo", "$(ls /etc)"]), "echo \"$(ls /etc)\"");
        assert_eq!(words(&["tee", "/tmp/x"]), "tee /tmp/x");
        assert_eq!(word("it's"), r"'it'\''s'");
        assert_eq!(word(""), "''");
    }
}
