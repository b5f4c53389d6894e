//! Expansion of a word into the fields a command receives: a leading `~`, `$NAME` from known
//! values, `{a,b}` braces and splitting of unquoted variables, in the shell's order.
//!
//! Invariant: a field whose value depends on anything unknown (a variable without a value, a
//! substitution, an expansion not evaluated) has `value: None`; its `pattern` still says which
//! literal part is known, with [`UNKNOWN`] where the unknown pieces go.

use super::word::{Part, Word};

/// Marks an unknown piece in [`Field::pattern`].
pub(super) const UNKNOWN: char = '\u{0}';

/// Brace expansion beyond this many fields is not followed (the field becomes unknown).
const MAX_FIELDS: usize = 64;

/// One argument as the command would receive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    /// Index of the word it came from.
    pub word: usize,
    /// The word as written (quote-removed).
    pub text: String,
    /// The expanded value; `None` when part of it is not known before the command runs.
    pub value: Option<String>,
    /// The value with [`UNKNOWN`] for each unknown piece.
    pub pattern: String,
}

impl Field {
    /// A field whose value is known and taken as it is.
    pub fn known(word: usize, text: &str, value: &str) -> Field {
        Field {
            word,
            text: text.to_string(),
            value: Some(value.to_string()),
            pattern: value.to_string(),
        }
    }

    /// The part after `prefix` (`--output=` of `--output=/x`), as a field of its own.
    pub fn strip(&self, prefix: &str) -> Option<Field> {
        let pattern = self.pattern.strip_prefix(prefix)?.to_string();
        Some(Field {
            word: self.word,
            text: self
                .text
                .strip_prefix(prefix)
                .unwrap_or(&self.text)
                .to_string(),
            value: self
                .value
                .as_deref()
                .and_then(|v| v.strip_prefix(prefix))
                .map(str::to_string),
            pattern,
        })
    }

    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// `DIR/*`: what lies inside the directory this field names (not the directory itself).
    pub fn under(&self) -> Field {
        Field {
            value: self.value.as_ref().map(|v| format!("{v}/*")),
            pattern: format!("{}/*", self.pattern),
            ..self.clone()
        }
    }
}

/// How the shell expands a word in this position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A command argument: braces and field splitting apply.
    Args,
    /// An assignment value or a redirection target: one field.
    Single,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom {
    /// Unquoted literal: braces, globs.
    Lit(char),
    Quoted(char),
    /// From an unquoted variable: splits on whitespace.
    Split(char),
    Unknown,
}

/// Expands word number `index`; `lookup` gives a variable's value when it is known.
pub(super) fn expand(
    word: &Word,
    index: usize,
    mode: Mode,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<Field> {
    let atoms = atoms(word, lookup);
    let alternatives = match mode {
        Mode::Args => braces(atoms),
        Mode::Single => vec![atoms],
    };
    let mut fields = Vec::new();
    for alt in alternatives {
        let pieces = match mode {
            Mode::Args => split(alt),
            Mode::Single => vec![alt],
        };
        fields.extend(pieces.into_iter().map(|p| field(index, &word.text, &p)));
    }
    let quoted = word.parts.iter().any(|p| {
        matches!(
            p,
            Part::Quoted(_) | Part::Var { quoted: true, .. } | Part::Subst { .. } | Part::Opaque
        )
    });
    if fields.is_empty() && (quoted || mode == Mode::Single) {
        fields.push(field(index, &word.text, &[]));
    }
    fields
}

fn atoms(word: &Word, lookup: &dyn Fn(&str) -> Option<String>) -> Vec<Atom> {
    let mut out = Vec::new();
    for (i, part) in word.parts.iter().enumerate() {
        match part {
            Part::Lit(text) if i == 0 && text.starts_with('~') => {
                let (user, rest) =
                    text[1..].split_at(text[1..].find('/').unwrap_or(text.len() - 1));
                let home = match user {
                    "" => lookup("HOME"),
                    "+" => lookup("PWD"),
                    _ => None,
                };
                match home {
                    Some(h) => out.extend(h.chars().map(Atom::Quoted)),
                    None => out.push(Atom::Unknown),
                }
                out.extend(rest.chars().map(Atom::Lit));
            }
            Part::Lit(text) => out.extend(text.chars().map(Atom::Lit)),
            Part::Quoted(text) => out.extend(text.chars().map(Atom::Quoted)),
            Part::Var {
                name,
                quoted,
                or_else,
            } => match lookup(name).filter(|v| !*or_else || !v.is_empty()) {
                Some(v) if *quoted => out.extend(v.chars().map(Atom::Quoted)),
                Some(v) => out.extend(v.chars().map(Atom::Split)),
                None => out.push(Atom::Unknown),
            },
            Part::Subst { .. } | Part::Opaque => out.push(Atom::Unknown),
        }
    }
    out
}

/// `{a,b}` into alternatives (only unquoted literal braces with a top-level comma expand).
fn braces(atoms: Vec<Atom>) -> Vec<Vec<Atom>> {
    let mut done = Vec::new();
    let mut todo = vec![atoms];
    while let Some(atoms) = todo.pop() {
        if done.len() + todo.len() > MAX_FIELDS {
            return vec![vec![Atom::Unknown]];
        }
        match brace_at(&atoms) {
            Some((open, commas, close)) => {
                let mut bounds = vec![open];
                bounds.extend(commas);
                bounds.push(close);
                for pair in bounds.windows(2).rev() {
                    let mut alt = atoms[..open].to_vec();
                    alt.extend_from_slice(&atoms[pair[0] + 1..pair[1]]);
                    alt.extend_from_slice(&atoms[close + 1..]);
                    todo.push(alt);
                }
            }
            None => done.push(atoms),
        }
    }
    done
}

/// The first `{` with a matching `}` and top-level commas between: their indices.
fn brace_at(atoms: &[Atom]) -> Option<(usize, Vec<usize>, usize)> {
    for (open, atom) in atoms.iter().enumerate() {
        if *atom != Atom::Lit('{') {
            continue;
        }
        let mut depth = 0usize;
        let mut commas = Vec::new();
        for (i, a) in atoms.iter().enumerate().skip(open + 1) {
            match a {
                Atom::Lit('{') => depth += 1,
                Atom::Lit('}') if depth == 0 => {
                    if !commas.is_empty() {
                        return Some((open, commas, i));
                    }
                    break;
                }
                Atom::Lit('}') => depth -= 1,
                Atom::Lit(',') if depth == 0 => commas.push(i),
                _ => {}
            }
        }
    }
    None
}

/// Splits on whitespace that came from unquoted variables; empty pieces vanish.
fn split(atoms: Vec<Atom>) -> Vec<Vec<Atom>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for atom in atoms {
        match atom {
            Atom::Split(c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            a => cur.push(a),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn field(word: usize, text: &str, atoms: &[Atom]) -> Field {
    let mut value = Some(String::new());
    let mut pattern = String::new();
    for atom in atoms {
        match atom {
            Atom::Lit(c) | Atom::Quoted(c) | Atom::Split(c) => {
                pattern.push(*c);
                if let Some(v) = value.as_mut() {
                    v.push(*c);
                }
            }
            Atom::Unknown => {
                pattern.push(UNKNOWN);
                value = None;
            }
        }
    }
    Field {
        word,
        text: text.to_string(),
        value,
        pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::shell::lex::{Token, lex};

    fn values(src: &str) -> Vec<Option<String>> {
        let lookup = |name: &str| match name {
            "HOME" => Some("/home/u".to_string()),
            "TWO" => Some("a /etc".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        lex(src)
            .tokens
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match t {
                Token::Word(w) => Some(expand(w, i, Mode::Args, &lookup)),
                _ => None,
            })
            .flatten()
            .map(|f| f.value)
            .collect()
    }

    fn some(items: &[&str]) -> Vec<Option<String>> {
        items.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn tilde_and_home() {
        assert_eq!(
            values("~ ~/x \"$HOME/y\" ${HOME} '~'"),
            some(&["/home/u", "/home/u/x", "/home/u/y", "/home/u", "~"])
        );
    }

    #[test]
    fn braces_expand_unquoted_only() {
        assert_eq!(values("a{b,/etc}"), some(&["ab", "a/etc"]));
        assert_eq!(values("'a{b,c}'"), some(&["a{b,c}"]));
        assert_eq!(values("{x}"), some(&["{x}"]));
    }

    #[test]
    fn unquoted_variables_split_and_empty_ones_vanish() {
        assert_eq!(values("$TWO"), some(&["a", "/etc"]));
        assert_eq!(values("\"$TWO\""), some(&["a /etc"]));
        assert_eq!(values("$EMPTY/"), some(&["/"]));
        assert_eq!(values("$EMPTY"), some(&[]));
    }

    #[test]
    fn unknown_pieces_leave_no_value() {
        let lookup = |_: &str| None;
        let lexed = lex("/etc/$X");
        let Token::Word(w) = &lexed.tokens[0] else {
            panic!("word expected");
        };
        let f = &expand(w, 0, Mode::Args, &lookup)[0];
        assert_eq!(f.value, None);
        assert_eq!(f.pattern, format!("/etc/{UNKNOWN}"));
    }
}
