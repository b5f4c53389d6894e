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

/// Parses YAML into `T`, reporting a problem with its position and the key path leading to it
/// (`engine.max_parallel_skills: invalid u64`), so the user sees which setting is wrong.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(
    file: &Path,
    text: &str,
) -> Result<T, Diagnostic> {
    let mut key_path = String::new();
    let parsed = serde_saphyr::with_deserializer_from_str(text, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            // Span wrappers show up as `.value` segments; the user never wrote those.
            key_path = e
                .path()
                .to_string()
                .split('.')
                .filter(|segment| *segment != "value")
                .collect::<Vec<_>>()
                .join(".");
            e.into_inner()
        })
    });
    parsed.map_err(|e| {
        let mut d = Diagnostic::from_yaml(file, &e);
        if !key_path.is_empty() && key_path != "." {
            d.message = format!("{key_path}: {}", d.message);
        }
        d
    })
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
    fn parse_errors_name_the_key_path() {
        #[derive(Debug, serde::Deserialize)]
        struct Inner {
            #[allow(dead_code)]
            limit: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        struct Outer {
            #[allow(dead_code)]
            engine: Inner,
        }
        let err =
            parse_yaml::<Outer>(Path::new("c.yaml"), "engine:\n  limit: many\n").expect_err("bad");
        assert_eq!((err.line, err.column), (2, 10));
        assert!(err.message.starts_with("engine.limit: "), "{err}");
    }

    #[test]
    fn whole_file_problems_have_no_position() {
        let d = Diagnostic::whole_file("c.yaml", "cannot be read");
        assert_eq!(d.to_string(), "c.yaml: cannot be read");
    }
}
