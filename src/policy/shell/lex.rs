//! The tokenizer: a shell script becomes words, operators and redirections.
//!
//! It reads the POSIX/bash subset agents write — quotes, escapes, `$…` expansions, `| || && ;
//! & ( )`, newlines, comments and redirections with their targets. What it cannot read (an
//! unclosed quote or substitution, a here-document without its end line) is reported in
//! [`Lexed::problems`], never dropped; the tokens read up to that point are still returned.

use super::word::Word;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Pipe,
    And,
    Or,
    Semi,
    /// `;;`, which only a `case` statement uses.
    CaseEnd,
    Background,
    Open,
    Close,
    Newline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RedirKind {
    Read,
    Write,
    /// `>&2`, `2>&1`, `<&-`: one descriptor copied or closed, no file named.
    Dup,
    HereDoc,
    HereString,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Redir {
    pub kind: RedirKind,
    /// The operator as written (`>`, `>>`, `<`, …), to quote the command whole in a reason.
    pub op: &'static str,
    pub target: Word,
    /// A here-document's body when it is literal: its delimiter is quoted, or nothing in it
    /// runs a command. `None` for other redirections and for bodies with `$(…)` or backticks.
    pub body: Option<String>,
    /// The scripts of the `$(…)` and backticks in a here-document body that is not literal.
    pub substitutions: Vec<String>,
}

/// A here-document named on the current line, whose body starts after the newline.
struct Pending {
    token: usize,
    delim: String,
    strip_tabs: bool,
    quoted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    Word(Word),
    Op(Op),
    Redir(Redir),
}

#[derive(Debug, Default)]
pub(super) struct Lexed {
    pub tokens: Vec<Token>,
    /// Sentences naming what could not be read.
    pub problems: Vec<String>,
}

/// A position in the script being read.
pub(super) struct Cursor {
    pub chars: Vec<char>,
    pub pos: usize,
    pub problems: Vec<String>,
}

impl Cursor {
    pub fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    pub fn slice(&self, from: usize, to: usize) -> String {
        let to = to.min(self.chars.len());
        self.chars[from.min(to)..to].iter().collect()
    }

    pub fn problem(&mut self, what: &str) {
        self.problems.push(what.to_string());
    }
}

/// Reads `src` into tokens.
pub(super) fn lex(src: &str) -> Lexed {
    let mut cur = Cursor {
        chars: src.chars().collect(),
        pos: 0,
        problems: Vec::new(),
    };
    let mut tokens = Vec::new();
    let mut heredocs: Vec<Pending> = Vec::new();
    while let Some(c) = cur.peek(0) {
        let next = cur.peek(1);
        let op = match (c, next) {
            (' ' | '\t' | '\r', _) => {
                cur.pos += 1;
                continue;
            }
            ('\\', Some('\n')) => {
                cur.pos += 2;
                continue;
            }
            ('#', _) => {
                while cur.peek(0).is_some_and(|c| c != '\n') {
                    cur.pos += 1;
                }
                continue;
            }
            ('\n', _) => {
                cur.pos += 1;
                tokens.push(Token::Op(Op::Newline));
                for doc in heredocs.drain(..) {
                    let body = cur.heredoc_body(&doc.delim, doc.strip_tabs);
                    let runs = body.contains("$(") || body.contains('`');
                    if let Some(Token::Redir(r)) = tokens.get_mut(doc.token) {
                        if runs && !doc.quoted {
                            let (found, problems) = body_substitutions(&body);
                            r.substitutions = found;
                            // What cannot be read in the body is reported, never dropped.
                            cur.problems.extend(problems);
                        } else {
                            r.body = Some(body);
                        }
                    }
                }
                continue;
            }
            (';', Some(';')) => (Op::CaseEnd, 2),
            (';', _) => (Op::Semi, 1),
            ('&', Some('&')) => (Op::And, 2),
            ('&', Some('>')) | ('<' | '>', _) if next != Some('(') || c == '&' => {
                let at = tokens.len();
                tokens.extend(cur.redirect(&mut heredocs, at));
                continue;
            }
            ('&', _) => (Op::Background, 1),
            ('|', Some('|')) => (Op::Or, 2),
            ('|', Some('&')) => (Op::Pipe, 2),
            ('|', _) => (Op::Pipe, 1),
            ('(', _) => (Op::Open, 1),
            (')', _) => (Op::Close, 1),
            (d, _) if d.is_ascii_digit() && cur.fd_then_redirect() => {
                while cur.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                    cur.pos += 1;
                }
                let at = tokens.len();
                tokens.extend(cur.redirect(&mut heredocs, at));
                continue;
            }
            _ => {
                match cur.word() {
                    Some(w) => tokens.push(Token::Word(w)),
                    // A character no word takes: step over it rather than loop forever.
                    None => cur.pos += 1,
                }
                continue;
            }
        };
        cur.pos += op.1;
        tokens.push(Token::Op(op.0));
    }
    if let Some(doc) = heredocs.first() {
        cur.problem(&format!("the here-document `{}` has no body", doc.delim));
    }
    Lexed {
        tokens,
        problems: cur.problems,
    }
}

/// The substitutions in an unquoted here-document body, which expands like a double-quoted
/// string (so it is read as one, with its own quotes escaped).
/// Returns them, and what could not be read.
fn body_substitutions(body: &str) -> (Vec<String>, Vec<String>) {
    let quoted = format!("\"{}\"", body.replace('"', "\\\""));
    let mut cur = Cursor {
        chars: quoted.chars().collect(),
        pos: 0,
        problems: Vec::new(),
    };
    let found = cur
        .word()
        .map(|w| w.substitutions().map(str::to_string).collect())
        .unwrap_or_default();
    (found, cur.problems)
}

impl Cursor {
    /// True when digits at the cursor are a descriptor number (`2>`), not a word.
    fn fd_then_redirect(&self) -> bool {
        let mut i = self.pos;
        while self.chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        matches!(self.chars.get(i), Some('<' | '>')) && self.chars.get(i + 1) != Some(&'(')
    }

    /// A redirection operator at the cursor and its target.
    fn redirect(&mut self, heredocs: &mut Vec<Pending>, token: usize) -> Option<Token> {
        const OPS: [&str; 12] = [
            "&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">>", ">&", ">|", "<", ">",
        ];
        let rest = self.slice(self.pos, self.pos + 3);
        let op = OPS.iter().find(|op| rest.starts_with(**op))?;
        self.pos += op.chars().count();
        while matches!(self.peek(0), Some(' ' | '\t')) {
            self.pos += 1;
        }
        let Some(target) = self.word() else {
            self.problem(&format!("the redirection `{op}` has no target"));
            return None;
        };
        let dup = target
            .plain()
            .is_some_and(|t| t == "-" || (!t.is_empty() && t.chars().all(|c| c.is_ascii_digit())));
        let kind = match *op {
            "<" => RedirKind::Read,
            "<&" | ">&" if dup => RedirKind::Dup,
            "<&" => RedirKind::Read,
            "<<<" => RedirKind::HereString,
            "<<" | "<<-" => {
                heredocs.push(Pending {
                    token,
                    delim: target.text.clone(),
                    strip_tabs: *op == "<<-",
                    quoted: target.plain().is_some()
                        && target
                            .parts
                            .iter()
                            .any(|p| matches!(p, super::word::Part::Quoted(_))),
                });
                RedirKind::HereDoc
            }
            _ => RedirKind::Write,
        };
        Some(Token::Redir(Redir {
            kind,
            op,
            target,
            body: None,
            substitutions: Vec::new(),
        }))
    }

    /// Reads a here-document body: the lines up to the one that is exactly `delim`.
    fn heredoc_body(&mut self, delim: &str, strip_tabs: bool) -> String {
        let mut body = String::new();
        while self.pos < self.chars.len() {
            let start = self.pos;
            while self.peek(0).is_some_and(|c| c != '\n') {
                self.pos += 1;
            }
            let line = self.slice(start, self.pos);
            self.pos += 1;
            let line = if strip_tabs {
                line.trim_start_matches('\t')
            } else {
                &line
            };
            if line == delim {
                return body;
            }
            body.push_str(line);
            body.push('\n');
        }
        self.problem(&format!("the here-document `{delim}` has no end line"));
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        lex(src)
            .tokens
            .into_iter()
            .map(|t| match t {
                Token::Word(w) => w.text,
                Token::Op(op) => format!("{op:?}"),
                Token::Redir(r) => format!("{:?}:{}", r.kind, r.target.text),
            })
            .collect()
    }

    #[test]
    fn quotes_escapes_and_operators() {
        assert_eq!(
            texts(r#"rm -rf "a b" 'c d' e\ f&&ls|wc;x"#),
            [
                "rm", "-rf", "a b", "c d", "e f", "And", "ls", "Pipe", "wc", "Semi", "x"
            ]
        );
    }

    #[test]
    fn redirections_keep_their_targets() {
        assert_eq!(
            texts("echo x >out 2>&1 >>log <in &>both"),
            [
                "echo",
                "x",
                "Write:out",
                "Dup:1",
                "Write:log",
                "Read:in",
                "Write:both"
            ]
        );
    }

    #[test]
    fn substitutions_are_parts_not_text() {
        let lexed = lex("echo $(rm -rf /) `id` \"$HOME/x\"");
        assert!(lexed.problems.is_empty());
        let Token::Word(w) = &lexed.tokens[1] else {
            panic!("word expected");
        };
        assert_eq!(w.substitutions().collect::<Vec<_>>(), ["rm -rf /"]);
    }

    #[test]
    fn unclosed_quote_is_a_problem() {
        assert_eq!(lex("echo 'abc").problems.len(), 1);
        assert_eq!(lex("echo \"abc").problems.len(), 1);
        assert_eq!(lex("echo $(abc").problems.len(), 1);
    }

    #[test]
    fn heredoc_body_is_skipped() {
        let lexed = lex("cat <<EOF\nrm -rf /\nEOF\nls");
        assert_eq!(
            texts("cat <<EOF\nrm -rf /\nEOF\nls"),
            ["cat", "HereDoc:EOF", "Newline", "ls"]
        );
        assert!(lexed.problems.is_empty());
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(texts("ls # rm -rf /\npwd"), ["ls", "Newline", "pwd"]);
    }
}
