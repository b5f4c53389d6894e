//! Words as the lexer reads them: literal text, quoted text and expansions (`$NAME`, `${…}`,
//! `$(…)`, backticks, `<(…)`) kept apart, so that later stages can tell what is known before
//! the command runs and what is not.
//!
//! Invariant: every character of a word lands in exactly one part; an expansion this reader
//! does not evaluate becomes [`Part::Opaque`], never literal text.

use super::lex::Cursor;

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    /// Unquoted text: globs, braces and a leading `~` are live.
    Lit(String),
    /// Text from quotes or a backslash: taken as it is.
    Quoted(String),
    /// `$NAME` or `${NAME}`; `quoted` inside double quotes (no splitting, no globbing).
    /// `or_else`: `${NAME:-…}`, `${NAME:?…}` and the like — the value when it is known and not
    /// empty, else unknown (the fallback is not followed).
    Var {
        name: String,
        quoted: bool,
        or_else: bool,
    },
    /// `$(…)` or backticks (a script whose output makes the word), or `<(…)`/`>(…)` (a script
    /// behind a pipe the word names: `process`).
    Subst { body: String, process: bool },
    /// An expansion this reader does not evaluate (`${X:-y}`, `$((…))`).
    Opaque,
}

/// A shell word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Word {
    pub parts: Vec<Part>,
    /// Quote-removed, with expansions as written: what a user reads.
    pub text: String,
}

impl Word {
    /// A word taken as it is (an argv element: no shell ever sees it).
    pub fn quoted(text: &str) -> Word {
        Word {
            parts: vec![Part::Quoted(text.to_string())],
            text: text.to_string(),
        }
    }

    /// The text when nothing in the word expands (quotes allowed).
    pub fn plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(t) | Part::Quoted(t) => out.push_str(t),
                _ => return None,
            }
        }
        Some(out)
    }

    /// True for an unquoted reserved word such as `if` or `{`.
    pub fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.parts.as_slice(), [Part::Lit(t)] if t == keyword)
    }

    /// `NAME=value` at the start of a command: the name and the value as a word of its own.
    pub fn assignment(&self) -> Option<(String, Word)> {
        let Some(Part::Lit(first)) = self.parts.first() else {
            return None;
        };
        let eq = first.find('=')?;
        let name = first[..eq].trim_end_matches('+');
        if !is_name(name) {
            return None;
        }
        let mut parts = Vec::new();
        if first[..eq].ends_with('+') {
            // `X+=v` appends to a value this reader may not have: the result is unknown.
            parts.push(Part::Opaque);
        }
        let rest = &first[eq + 1..];
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.to_string()));
        }
        parts.extend(self.parts.iter().skip(1).cloned());
        let text = self.text.split_once('=').map_or("", |(_, v)| v).to_string();
        Some((name.to_string(), Word { parts, text }))
    }

    /// True for `<(…)` or `>(…)` alone: the word names a pipe, not a file.
    pub fn is_process(&self) -> bool {
        matches!(self.parts.as_slice(), [Part::Subst { process: true, .. }])
    }

    pub fn substitutions(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Subst { body, .. } => Some(body.as_str()),
            _ => None,
        })
    }

    fn push(&mut self, c: char, quoted: bool) {
        self.text.push(c);
        match (self.parts.last_mut(), quoted) {
            (Some(Part::Lit(t)), false) | (Some(Part::Quoted(t)), true) => t.push(c),
            (_, false) => self.parts.push(Part::Lit(c.to_string())),
            (_, true) => self.parts.push(Part::Quoted(c.to_string())),
        }
    }

    /// Marks that quotes began here, so that `""` still makes a (empty) word.
    fn open_quote(&mut self) {
        if !matches!(self.parts.last(), Some(Part::Quoted(_))) {
            self.parts.push(Part::Quoted(String::new()));
        }
    }
}

pub(super) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Characters that end an unquoted word.
fn ends_word(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>'
    )
}

impl Cursor {
    /// Reads one word at the cursor; `None` when no character belongs to a word.
    pub fn word(&mut self) -> Option<Word> {
        let start = self.pos;
        let mut w = Word::default();
        if matches!(self.peek(0), Some('<' | '>')) && self.peek(1) == Some('(') {
            self.substitution(&mut w, self.pos + 1, false);
        }
        while let Some(c) = self.peek(0) {
            match c {
                c if ends_word(c) => break,
                '\'' => self.single_quoted(&mut w),
                '"' => self.double_quoted(&mut w),
                '\\' => match self.peek(1) {
                    Some('\n') => self.pos += 2,
                    Some(n) => {
                        w.push(n, true);
                        self.pos += 2;
                    }
                    None => {
                        w.push('\\', true);
                        self.pos += 1;
                    }
                },
                '$' => self.dollar(&mut w, false),
                '`' => self.backtick(&mut w),
                c => {
                    w.push(c, false);
                    self.pos += 1;
                }
            }
        }
        (self.pos > start).then_some(w)
    }

    fn single_quoted(&mut self, w: &mut Word) {
        self.pos += 1;
        w.open_quote();
        loop {
            match self.peek(0) {
                None => {
                    self.problem("a single quote is never closed");
                    return;
                }
                Some('\'') => {
                    self.pos += 1;
                    return;
                }
                Some(c) => {
                    w.push(c, true);
                    self.pos += 1;
                }
            }
        }
    }

    fn double_quoted(&mut self, w: &mut Word) {
        self.pos += 1;
        w.open_quote();
        loop {
            match self.peek(0) {
                None => {
                    self.problem("a double quote is never closed");
                    return;
                }
                Some('"') => {
                    self.pos += 1;
                    return;
                }
                Some('\\') => match self.peek(1) {
                    Some('\n') => self.pos += 2,
                    Some(n) if "$`\"\\".contains(n) => {
                        w.push(n, true);
                        self.pos += 2;
                    }
                    _ => {
                        w.push('\\', true);
                        self.pos += 1;
                    }
                },
                Some('$') => self.dollar(w, true),
                Some('`') => self.backtick(w),
                Some(c) => {
                    w.push(c, true);
                    self.pos += 1;
                }
            }
        }
    }

    /// `$…` at the cursor.
    fn dollar(&mut self, w: &mut Word, quoted: bool) {
        let start = self.pos;
        match self.peek(1) {
            Some('(') => self.substitution(w, start + 1, true),
            Some('{') => match self.matching(start + 1, '{', '}') {
                Some(end) => {
                    let body = self.slice(start + 2, end);
                    let special = body.len() == 1 && body.chars().all(is_special);
                    let fallback = body
                        .find([':', '-', '?', '=', '+'])
                        .map(|at| body.split_at(at))
                        .filter(|(name, op)| {
                            is_name(name)
                                && ["-", ":-", "?", ":?", "=", ":="]
                                    .iter()
                                    .any(|o| op.starts_with(o))
                        });
                    if is_name(&body) || special || body.chars().all(|c| c.is_ascii_digit()) {
                        w.parts.push(Part::Var {
                            name: body,
                            quoted,
                            or_else: false,
                        });
                    } else if let Some((name, rest)) = fallback
                        && !rest.contains("$(")
                        && !rest.contains('`')
                    {
                        w.parts.push(Part::Var {
                            name: name.to_string(),
                            quoted,
                            or_else: true,
                        });
                    } else {
                        if body.contains("$(") || body.contains('`') {
                            self.problem("a command inside `${…}` is not read");
                        }
                        if body.ends_with("@P") {
                            self.problem(
                                "`${…@P}` expands a value as a prompt, running any command in it",
                            );
                        }
                        w.parts.push(Part::Opaque);
                    }
                    w.text.push_str(&self.slice(start, end + 1));
                    self.pos = end + 1;
                }
                None => self.unclosed(w, "`${`"),
            },
            Some('\'') if !quoted => {
                self.pos += 2;
                w.open_quote();
                for c in self.ansi_c().chars() {
                    w.push(c, true);
                }
            }
            Some('"') if !quoted => {
                self.pos += 1;
                self.double_quoted(w);
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                let mut end = start + 1;
                while self
                    .chars
                    .get(end)
                    .is_some_and(|c| *c == '_' || c.is_ascii_alphanumeric())
                {
                    end += 1;
                }
                let name = self.slice(start + 1, end);
                w.text.push_str(&self.slice(start, end));
                w.parts.push(Part::Var {
                    name,
                    quoted,
                    or_else: false,
                });
                self.pos = end;
            }
            Some(c) if c.is_ascii_digit() || is_special(c) => {
                w.text.push_str(&self.slice(start, start + 2));
                w.parts.push(Part::Var {
                    name: c.to_string(),
                    quoted,
                    or_else: false,
                });
                self.pos += 2;
            }
            _ => {
                w.push('$', quoted);
                self.pos += 1;
            }
        }
    }

    /// `$(…)`, `$((…))` (when `dollar`), `<(…)` or `>(…)` whose `(` is at `open`.
    fn substitution(&mut self, w: &mut Word, open: usize, dollar: bool) {
        let start = open.saturating_sub(1);
        let Some(end) = self.matching(open, '(', ')') else {
            self.unclosed(w, "`$(`");
            return;
        };
        let body = self.slice(open + 1, end);
        if dollar && body.starts_with('(') && body.ends_with(')') {
            // Arithmetic: its value is a number, but a command inside it still runs.
            if body.contains("$(") || body.contains('`') {
                self.problem("a command inside `$((…))` is not read");
            }
            w.parts.push(Part::Opaque);
        } else {
            w.parts.push(Part::Subst {
                body,
                process: !dollar,
            });
        }
        w.text.push_str(&self.slice(start, end + 1));
        self.pos = end + 1;
    }

    fn backtick(&mut self, w: &mut Word) {
        let start = self.pos;
        let mut body = String::new();
        let mut i = start + 1;
        loop {
            match self.chars.get(i).copied() {
                None => {
                    self.problem("a backtick substitution is never closed");
                    w.parts.push(Part::Opaque);
                    w.text.push_str(&self.slice(start, i));
                    self.pos = i;
                    return;
                }
                Some('\\') => match self.chars.get(i + 1).copied() {
                    Some(n) if "`\\$".contains(n) => {
                        body.push(n);
                        i += 2;
                    }
                    _ => {
                        body.push('\\');
                        i += 1;
                    }
                },
                Some('`') => break,
                Some(c) => {
                    body.push(c);
                    i += 1;
                }
            }
        }
        w.parts.push(Part::Subst {
            body,
            process: false,
        });
        w.text.push_str(&self.slice(start, i + 1));
        self.pos = i + 1;
    }

    fn unclosed(&mut self, w: &mut Word, what: &str) {
        self.problem(&format!("{what} is never closed"));
        w.parts.push(Part::Opaque);
        w.text.push_str(&self.slice(self.pos, self.chars.len()));
        self.pos = self.chars.len();
    }
}

fn is_special(c: char) -> bool {
    "@*#?$!-".contains(c)
}
