//! The script walker: tokens become simple commands joined by `|`, `&&`, `||`, `;`, `&`,
//! newlines, `( … )` and `{ …; }`, with the state a script threads through them — the working
//! directory (`cd` moves it for later commands, a subshell puts it back) and what a pipeline
//! feeds each stage (so `curl … | sh` is seen at `sh`). Control keywords are stepped over;
//! `case` is not read and is reported as opaque.
//!
//! Invariant: after a `cd` that may fail (its directory does not exist yet), only commands
//! chained to it with `&&` assume it worked; after any other separator the working directory
//! is unknown, so relative writes there are reported as unreadable rather than guessed.

use std::path::PathBuf;

use super::Severity;
use super::command::{self, CwdChange, Simple, Stdin};
use super::ctx::{Ctx, MAX_DEPTH};
use super::floor;
use super::lex::{Op, Token, lex};
use super::word::Word;

/// Reads `script` run in `cwd` with `stdin`. True when something in it downloads.
pub(super) fn nested(ctx: &mut Ctx, script: &str, cwd: Option<PathBuf>, stdin: Stdin) -> bool {
    if ctx.depth >= MAX_DEPTH {
        ctx.opaque(format!("`{script}` is nested too deeply to be read."));
        return false;
    }
    if floor::fork_bomb(script) {
        ctx.find(
            Severity::Deny,
            "floor.destroy-disk",
            format!("`{script}` is a fork bomb, which exhausts the machine."),
        );
    }
    let before = ctx.downloads;
    ctx.depth += 1;
    let lexed = lex(script);
    for problem in lexed.problems {
        ctx.opaque(format!("Cannot read the script: {problem}."));
    }
    let mut walker = Walker {
        ctx,
        cwd,
        dirs: Vec::new(),
        uncertain_cd: false,
        pending: Simple::default(),
        base: stdin,
        pipe: stdin,
        last_downloads: false,
        groups: Vec::new(),
        in_case: false,
        for_header: false,
        function_name: false,
    };
    walker.tokens(lexed.tokens);
    ctx.depth -= 1;
    ctx.downloads > before
}

/// A `( … )` or `{ …; }` being read.
struct Group {
    paren: bool,
    cwd: Option<PathBuf>,
    uncertain_cd: bool,
    base: Stdin,
    downloads: usize,
}

struct Walker<'c, 's> {
    ctx: &'c mut Ctx<'s>,
    cwd: Option<PathBuf>,
    /// `pushd`'s stack.
    dirs: Vec<Option<PathBuf>>,
    /// A `cd` that may fail happened in the current `&&` chain.
    uncertain_cd: bool,
    pending: Simple,
    /// What a command reads when nothing pipes into it (a group's input, or the script's).
    base: Stdin,
    /// What the next command reads.
    pipe: Stdin,
    last_downloads: bool,
    groups: Vec<Group>,
    in_case: bool,
    for_header: bool,
    function_name: bool,
}

impl Walker<'_, '_> {
    fn tokens(&mut self, tokens: Vec<Token>) {
        let mut iter = tokens.into_iter().peekable();
        while let Some(token) = iter.next() {
            if self.in_case {
                self.in_case = !matches!(&token, Token::Word(w) if w.is_keyword("esac"));
                continue;
            }
            match token {
                Token::Word(w) => self.word(w),
                Token::Redir(r) => self.pending.redirs.push(r),
                Token::Op(Op::Open) => {
                    if self.pending.words.len() == 1
                        && matches!(iter.peek(), Some(Token::Op(Op::Close)))
                    {
                        // `name() { … }`: a definition; the body is read where it stands.
                        iter.next();
                        self.pending = Simple::default();
                        continue;
                    }
                    if self.pending.words.is_empty()
                        && self
                            .pending
                            .assigns
                            .last()
                            .is_some_and(|(_, v)| v.parts.is_empty())
                    {
                        // `X=(a b)`: an array, whose value is not followed; the commands
                        // its elements run (`X=($(ls))`) are read all the same.
                        if let Some((name, _)) = self.pending.assigns.pop() {
                            self.ctx.vars.insert(name, None);
                        }
                        for t in iter.by_ref() {
                            match t {
                                Token::Op(Op::Close) => break,
                                Token::Word(w) => {
                                    for body in w.substitutions() {
                                        nested(self.ctx, body, self.cwd.clone(), Stdin::default());
                                    }
                                }
                                _ => {}
                            }
                        }
                        continue;
                    }
                    // `time ( … )`, `! ( … )`: prefixes of the group, not a command.
                    if self
                        .pending
                        .words
                        .iter()
                        .all(|w| w.is_keyword("time") || w.is_keyword("!") || w.is_keyword("-p"))
                    {
                        self.pending.words.clear();
                    }
                    if !self.pending.words.is_empty() {
                        let text = self.words_text();
                        self.ctx
                            .opaque(format!("Cannot read the `(` after `{text}`."));
                    }
                    self.finish();
                    self.open(true);
                }
                Token::Op(Op::Close) => {
                    self.finish();
                    self.close(true);
                }
                Token::Op(Op::CaseEnd) => {
                    self.ctx
                        .opaque("A `;;` outside a case statement is not read.".into());
                    self.separate(Op::Semi);
                }
                Token::Op(op) => self.separate(op),
            }
        }
        self.finish();
    }

    fn words_text(&self) -> String {
        let words: Vec<&str> = self.pending.words.iter().map(|w| w.text.as_str()).collect();
        words.join(" ")
    }

    fn word(&mut self, w: Word) {
        if self.for_header {
            if w.is_keyword("do") {
                self.finish();
            } else {
                self.pending.words.push(w);
            }
            return;
        }
        let at_start = self.pending.is_empty();
        if at_start {
            for keyword in [
                "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "esac",
            ] {
                if w.is_keyword(keyword) {
                    return;
                }
            }
            if w.is_keyword("{") {
                self.open(false);
                return;
            }
            if w.is_keyword("}") && self.groups.last().is_some_and(|g| !g.paren) {
                self.close(false);
                return;
            }
            if w.is_keyword("case") {
                self.ctx
                    .opaque("A `case` statement is not read; its commands are not checked.".into());
                self.in_case = true;
                return;
            }
            if w.is_keyword("for") || w.is_keyword("select") {
                self.for_header = true;
                self.pending.words.push(w);
                return;
            }
            if w.is_keyword("function") {
                self.function_name = true;
                return;
            }
            if self.function_name {
                self.function_name = false;
                return;
            }
        }
        if self.pending.words.is_empty()
            && let Some(assignment) = w.assignment()
        {
            self.pending.assigns.push(assignment);
            return;
        }
        self.pending.words.push(w);
    }

    /// Reads the command gathered so far.
    fn finish(&mut self) {
        let simple = std::mem::take(&mut self.pending);
        if self.for_header {
            // `for NAME in WORDS`: NAME takes values not known here.
            self.for_header = false;
            if let Some(name) = simple.words.get(1).and_then(Word::plain) {
                self.ctx.vars.insert(name, None);
            }
            for word in &simple.words {
                for body in word.substitutions() {
                    nested(self.ctx, body, self.cwd.clone(), Stdin::default());
                }
            }
            return;
        }
        if simple.is_empty() {
            return;
        }
        let outcome = command::run(self.ctx, &simple, self.cwd.as_deref(), self.pipe);
        if !simple.words.is_empty() {
            self.last_downloads = outcome.downloads;
        }
        match outcome.cwd {
            Some(CwdChange::To { dir, definite }) => {
                self.cwd = dir;
                self.uncertain_cd |= !definite;
            }
            Some(CwdChange::Push(dir)) => {
                self.uncertain_cd |= !dir.as_deref().is_some_and(std::path::Path::is_dir);
                self.dirs.push(std::mem::replace(&mut self.cwd, dir));
            }
            Some(CwdChange::Pop) => self.cwd = self.dirs.pop().flatten(),
            None => {}
        }
    }

    fn separate(&mut self, op: Op) {
        self.finish();
        match op {
            Op::Pipe => {
                self.pipe = Stdin {
                    piped: true,
                    download: self.last_downloads || self.pipe.download,
                };
            }
            Op::And => self.pipe = self.base,
            _ => {
                self.pipe = self.base;
                if self.uncertain_cd {
                    self.cwd = None;
                    self.uncertain_cd = false;
                }
            }
        }
        self.last_downloads = false;
    }

    fn open(&mut self, paren: bool) {
        self.groups.push(Group {
            paren,
            cwd: self.cwd.clone(),
            uncertain_cd: self.uncertain_cd,
            base: self.base,
            downloads: self.ctx.downloads,
        });
        // The group's commands read what is piped into the group.
        self.base = self.pipe;
    }

    fn close(&mut self, paren: bool) {
        let Some(group) = self.groups.pop() else {
            self.ctx
                .opaque("A closing `)` or `}` has no opening one.".into());
            return;
        };
        if paren {
            self.cwd = group.cwd;
            self.uncertain_cd = group.uncertain_cd;
        }
        self.base = group.base;
        self.last_downloads = self.ctx.downloads > group.downloads;
    }
}
