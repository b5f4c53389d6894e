//! Errors in what a user wrote (workflows, skills, config), printed as `FILE:LINE:COL: message`.
//!
//! Every loader turns its failures into a [`Diagnostic`] so the CLI, the engine and later the TUI
//! show the same, precise text. Line and column are 1-based; 0 means "whole file".

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        file: impl Into<PathBuf>,
        line: u64,
        column: u64,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A problem with the file as a whole (unreadable, empty, ...).
    pub fn whole_file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::new(file, 0, 0, message)
    }

    /// A problem at a span that serde-saphyr recorded.
    pub fn at(file: &Path, location: &serde_saphyr::Location, message: impl Into<String>) -> Self {
        Self::new(file, location.line(), location.column(), message)
    }

    /// Converts a serde-saphyr parse error, keeping its position and dropping its snippet.
    pub fn from_yaml(file: &Path, error: &serde_saphyr::Error) -> Self {
        let (line, column) = error
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        let text = error.without_snippet().to_string();
        Self::new(file, line, column, strip_position_prefix(&text))
    }
}

/// serde-saphyr puts the position into its message (`error: line L column C: ...` or
/// `... at line L, column C`); the position is kept separately, so it would only repeat.
fn strip_position_prefix(text: &str) -> String {
    let first = text.lines().next().unwrap_or(text).trim();
    let rest = first.strip_prefix("error: ").unwrap_or(first);
    if let Some(after_line) = rest.strip_prefix("line ")
        && let Some((_, message)) = after_line.split_once(": ")
        && after_line.contains(" column ")
    {
        return message.to_string();
    }
    // Without a snippet the position comes last instead: `... at line L, column C`.
    match rest.rfind(" at line ") {
        Some(at) if rest[at..].contains(", column ") => rest[..at].to_string(),
        _ => rest.to_string(),
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

impl std::error::Error for Diagnostic {}

/// Several diagnostics, e.g. every problem found in one workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was found, the diagnostics otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_errors_keep_position_without_repeating_it() {
        let err = serde_saphyr::from_str::<u32>("abc").expect_err("not a number");
        let d = Diagnostic::from_yaml(Path::new("w.yaml"), &err);
        assert_eq!((d.line, d.column), (1, 1));
        assert!(!d.message.contains("line 1"), "{}", d.message);
        assert!(d.to_string().starts_with("w.yaml:1:1: "), "{d}");
    }

    #[test]
    fn whole_file_problems_have_no_position() {
        let d = Diagnostic::whole_file("c.yaml", "cannot be read");
        assert_eq!(d.to_string(), "c.yaml: cannot be read");
    }
}
