//! One simple command: its substitutions run first, its words expand, its redirections open
//! files, then wrappers are looked through and the real command's arguments are read by the
//! table or handler that knows that command.
//!
//! Invariant: every command is recorded (text and shape) before anything inside it, so
//! [`super::Analysis::commands`] lists outer commands before what they run.

use std::path::{Path, PathBuf};

use super::ctx::Ctx;
use super::expand::{Field, Mode, expand};
use super::lex::{Redir, RedirKind};
use super::word::{Word, is_name};
use super::{Access, Severity, SimpleCommand};
use super::{shape, walk};

/// A simple command as the parser hands it over.
#[derive(Debug, Default)]
pub(super) struct Simple {
    pub words: Vec<Word>,
    pub assigns: Vec<(String, Word)>,
    pub redirs: Vec<Redir>,
}

impl Simple {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.assigns.is_empty() && self.redirs.is_empty()
    }
}

/// What the pipeline feeds a command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Stdin {
    pub piped: bool,
    /// A downloader runs earlier in the pipeline.
    pub download: bool,
}

/// Where a command's standard input comes from, once its redirections are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Input {
    Inherited,
    Pipe {
        download: bool,
    },
    File(Option<PathBuf>),
    HereString(Option<String>),
    /// The body, when it is literal (a quoted delimiter or no expansions).
    HereDoc(Option<String>),
}

/// A change of the working directory for the commands after this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CwdChange {
    /// `cd`: `definite` when the directory exists now, so the `cd` cannot fail.
    To {
        dir: Option<PathBuf>,
        definite: bool,
    },
    Push(Option<PathBuf>),
    Pop,
}

#[derive(Debug, Default)]
pub(super) struct Outcome {
    pub downloads: bool,
    pub cwd: Option<CwdChange>,
}

/// How a field shows in the shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Mark {
    Plain,
    Path,
    /// Code in another language given inline (`node -e CODE`): data to the shape.
    Code,
    Script,
}

/// One simple command being read.
pub(super) struct Run<'c, 's> {
    pub ctx: &'c mut Ctx<'s>,
    pub fields: Vec<Field>,
    pub marks: Vec<Mark>,
    pub cwd: Option<PathBuf>,
    pub input: Input,
    /// Words whose `$(…)` or `<(…)` downloads something.
    pub download_words: Vec<usize>,
    /// A redirection's target downloads something (`sh < <(curl …)`, `bash <<< "$(curl …)"`).
    pub download_redirect: bool,
    /// After `xargs`: the command gets more arguments from its input.
    pub xargs: bool,
    pub outcome: Outcome,
    words: Vec<String>,
    /// Each command recorded for this run: its index in `ctx.commands` and its words.
    slots: Vec<(usize, std::ops::Range<usize>)>,
    /// What the shape of the command as written shows besides its words: its assignments
    /// (`LD_PRELOAD=x node …`) and redirections (`> <path>`), which change what it does.
    around: (Vec<String>, Vec<String>),
}

/// Reads one simple command run in `cwd` with `stdin`.
pub(super) fn run(ctx: &mut Ctx, simple: &Simple, cwd: Option<&Path>, stdin: Stdin) -> Outcome {
    // The command is listed before the commands its substitutions run.
    let slot = (!simple.words.is_empty()).then(|| {
        let words: Vec<String> = simple.words.iter().map(|w| w.text.clone()).collect();
        ctx.commands.push(SimpleCommand::new(words));
        ctx.shapes.push(String::new());
        ctx.commands.len() - 1
    });
    // What is found from here on is about this command (a nested one sets and restores its
    // own); what a bare redirection or assignment does is about no command.
    let outer = ctx.current;
    ctx.current = slot;
    // Substitutions run before the command does; what they download matters to it.
    let mut download_words = Vec::new();
    for (i, word) in simple.words.iter().enumerate() {
        if substitutions_download(ctx, word, cwd) {
            download_words.push(i);
        }
    }
    for (_, word) in &simple.assigns {
        substitutions_download(ctx, word, cwd);
    }
    let mut download_redirect = false;
    for r in &simple.redirs {
        download_redirect |= substitutions_download(ctx, &r.target, cwd);
        for body in &r.substitutions {
            download_redirect |=
                walk::nested(ctx, body, cwd.map(Path::to_path_buf), Stdin::default());
        }
    }
    let fields: Vec<Field> = {
        let lookup = |name: &str| ctx.lookup(name, cwd);
        simple
            .words
            .iter()
            .enumerate()
            .flat_map(|(i, w)| expand(w, i, Mode::Args, &lookup))
            .collect()
    };
    let input = if stdin.piped {
        Input::Pipe {
            download: stdin.download,
        }
    } else {
        Input::Inherited
    };
    let mut run = Run {
        ctx,
        marks: vec![Mark::Plain; fields.len()],
        fields,
        cwd: cwd.map(Path::to_path_buf),
        input,
        download_words,
        download_redirect,
        xargs: false,
        outcome: Outcome::default(),
        words: simple.words.iter().map(|w| w.text.clone()).collect(),
        slots: slot
            .map(|s| vec![(s, 0..simple.words.len())])
            .unwrap_or_default(),
        around: (
            simple
                .assigns
                .iter()
                .map(|(name, value)| format!("{name}={}", value.text))
                .collect(),
            Vec::new(),
        ),
    };
    run.redirections(&simple.redirs);
    if run.fields.is_empty() {
        run.assign(&simple.assigns);
    } else {
        for (name, word) in &simple.assigns {
            let value = run.single(word);
            run.setting(name, &value);
        }
        run.dispatch(0);
    }
    run.shapes();
    run.ctx.current = outer;
    run.outcome
}

/// Reads the substitutions in `word`; true when one of them downloads something.
fn substitutions_download(ctx: &mut Ctx, word: &Word, cwd: Option<&Path>) -> bool {
    let mut downloads = false;
    for body in word.substitutions() {
        downloads |= walk::nested(ctx, body, cwd.map(Path::to_path_buf), Stdin::default());
    }
    downloads
}

impl Run<'_, '_> {
    /// True when field `i` comes from a word whose substitution downloads something.
    pub fn downloads_in(&self, i: usize) -> bool {
        self.fields
            .get(i)
            .is_some_and(|f| self.download_words.contains(&f.word))
    }

    /// Expands a word that makes one field (assignment value, redirection target).
    pub fn single(&self, word: &Word) -> Field {
        let cwd = self.cwd.as_deref();
        let lookup = |name: &str| self.ctx.lookup(name, cwd);
        expand(word, usize::MAX, Mode::Single, &lookup)
            .into_iter()
            .next()
            .unwrap_or_else(|| Field::known(usize::MAX, "", ""))
    }

    pub fn value(&self, i: usize) -> Option<&str> {
        self.fields.get(i).and_then(Field::value)
    }

    pub fn text(&self, i: usize) -> String {
        self.fields
            .get(i)
            .map(|f| f.text.clone())
            .unwrap_or_default()
    }

    /// The words from field `at` on, quoted as typed: how a reason names a command.
    pub fn shown(&self, at: usize) -> String {
        let first = self.fields.get(at).map_or(0, |f| f.word);
        super::quote::words(self.words.get(first..).unwrap_or_default())
    }

    pub fn stdin(&self) -> Stdin {
        match self.input {
            Input::Pipe { download } => Stdin {
                piped: true,
                download,
            },
            _ => Stdin::default(),
        }
    }

    /// Field `i` is used as a path with `access`.
    pub fn touch(&mut self, i: usize, access: Access) -> Option<PathBuf> {
        let field = self.fields.get(i)?.clone();
        self.touch_field(i, &field, access)
    }

    /// `field` (derived from field `i`, e.g. the value of `--out=x`) is used as a path.
    pub fn touch_field(&mut self, i: usize, field: &Field, access: Access) -> Option<PathBuf> {
        if let Some(m) = self.marks.get_mut(i) {
            *m = Mark::Path;
        }
        let cwd = self.cwd.clone();
        self.ctx.touch(field, access, cwd.as_deref(), true)
    }

    /// Records a path the caller has already reported on.
    pub fn touch_unjudged(&mut self, i: usize, access: Access) -> Option<PathBuf> {
        let field = self.fields.get(i)?.clone();
        if let Some(m) = self.marks.get_mut(i) {
            *m = Mark::Path;
        }
        let cwd = self.cwd.clone();
        self.ctx.touch(&field, access, cwd.as_deref(), false)
    }

    /// The working directory itself is used (`tar -x` with no `-C`, `git clone URL`).
    pub fn touch_cwd(&mut self, access: Access) {
        let cwd = self.cwd.clone();
        let field = Field::known(usize::MAX, ".", ".");
        self.ctx.touch(&field, access, cwd.as_deref(), true);
    }

    pub fn deny(&mut self, id: &str, reason: String) {
        self.ctx.find(Severity::Deny, id, reason);
    }

    pub fn escalate(&mut self, id: &str, reason: String) {
        self.ctx.find(Severity::Escalate, id, reason);
    }

    /// Field `i` is code in another language given inline: data, as far as the shape goes.
    pub fn code(&mut self, i: usize) {
        if let Some(m) = self.marks.get_mut(i) {
            *m = Mark::Code;
        }
    }

    /// Reads field `i` as a shell script run by `who` (`sh -c`, `su -c`, `trap`).
    pub fn script(&mut self, i: usize, who: &str) {
        if let Some(m) = self.marks.get_mut(i) {
            *m = Mark::Script;
        }
        let field = self.fields.get(i).cloned();
        self.script_field(field.as_ref(), who);
    }

    pub fn script_field(&mut self, field: Option<&Field>, who: &str) {
        let downloaded = field.is_some_and(|f| self.download_words.contains(&f.word));
        match field.and_then(|f| f.value.clone()) {
            Some(script) => {
                if let Some(cmd) = self.ctx.current.and_then(|i| self.ctx.commands.get_mut(i)) {
                    cmd.wraps_script = true;
                }
                let stdin = self.stdin();
                walk::nested(self.ctx, &script, self.cwd.clone(), stdin);
            }
            None if downloaded => self.deny(
                "floor.download-exec",
                format!("`{who}` runs a script that a substitution downloads."),
            ),
            None => self.ctx.opaque(format!(
                "`{who}` runs a script that is only known when it runs."
            )),
        }
    }

    /// Arguments of a command nobody described: those that look like paths are read.
    pub fn path_like(&mut self, from: usize) {
        for i in from..self.fields.len() {
            let field = self.fields[i].clone();
            let known = field.value.as_deref().unwrap_or(&field.text);
            // `--out=/x` and `PREFIX=/x`: the value after `=` is the path.
            if let Some((key, _)) = known.split_once('=')
                && (key.starts_with('-') || is_name(key))
            {
                if let Some(v) = field.strip(&format!("{key}="))
                    && super::paths::looks_like_path(v.value.as_deref().unwrap_or(&v.text))
                {
                    self.touch_field(i, &v, Access::Read);
                }
                continue;
            }
            // `host:path` names a file on another machine, not here.
            let remote = super::paths::is_remote(known) && !known.starts_with(['/', '.', '~']);
            if !known.starts_with('-') && super::paths::looks_like_path(known) && !remote {
                self.touch(i, Access::Read);
            }
        }
    }

    /// Reads `fields` as a command this one runs (`find -exec CMD {} ;`).
    pub fn nested(&mut self, fields: Vec<Field>) {
        if fields.is_empty() {
            return;
        }
        let at = self.fields.len();
        self.marks
            .extend(std::iter::repeat_n(Mark::Plain, fields.len()));
        self.fields.extend(fields);
        self.record(at);
        self.dispatch(at);
    }

    /// Adds a command to [`super::Analysis::commands`]: the words from field `at` on.
    pub fn record(&mut self, at: usize) {
        let first = self.fields.get(at).map_or(0, |f| f.word);
        let end = self.fields.last().map_or(0, |f| f.word + 1).max(first);
        let words: Vec<String> = self.words.get(first..end).unwrap_or_default().to_vec();
        self.slots.push((self.ctx.commands.len(), first..end));
        self.ctx.current = Some(self.ctx.commands.len());
        self.ctx.commands.push(SimpleCommand::new(words));
        self.ctx.shapes.push(String::new());
    }

    fn shapes(&mut self) {
        for (n, (slot, range)) in self.slots.iter().enumerate() {
            let marked: Vec<(&str, Mark)> = range
                .clone()
                .map(|w| {
                    let mark = self
                        .fields
                        .iter()
                        .zip(&self.marks)
                        .filter(|(f, _)| f.word == w)
                        .map(|(_, m)| *m)
                        .max()
                        .unwrap_or(Mark::Plain);
                    (self.words[w].as_str(), mark)
                })
                .collect();
            let mut shown = shape::of(&marked);
            if n == 0 {
                let (before, after) = &self.around;
                shown = before
                    .iter()
                    .chain([&shown])
                    .chain(after)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            if let Some(s) = self.ctx.shapes.get_mut(*slot) {
                *s = shown;
            }
        }
    }

    fn redirections(&mut self, redirs: &[Redir]) {
        for r in redirs {
            if r.kind != RedirKind::Dup {
                let what = match r.kind {
                    RedirKind::HereDoc | RedirKind::HereString => "<text>",
                    _ => "<path>",
                };
                self.around.1.push(format!("{} {what}", r.op));
            }
            self.ctx.redirect = Some(r.op);
            self.redirection(r);
            self.ctx.redirect = None;
        }
    }

    fn redirection(&mut self, r: &Redir) {
        let target = self.single(&r.target);
        match r.kind {
            // `> >(tee log)` writes into a pipe; the script behind it was read already.
            RedirKind::Dup => {}
            _ if r.target.is_process() => {}
            // `< /dev/null` feeds nothing; `< /dev/stdin` changes nothing.
            RedirKind::Read if target.value().is_some_and(super::floor::harmless_device) => {
                if target.value() == Some("/dev/null") {
                    self.input = Input::Inherited;
                }
            }
            RedirKind::Read => {
                let cwd = self.cwd.clone();
                let path = self.ctx.touch(&target, Access::Read, cwd.as_deref(), true);
                self.input = Input::File(path);
            }
            RedirKind::Write => {
                let cwd = self.cwd.clone();
                self.ctx.touch(&target, Access::Write, cwd.as_deref(), true);
            }
            RedirKind::HereString => self.input = Input::HereString(target.value),
            // Its substitutions were read with the command's; as data it is harmless.
            RedirKind::HereDoc => self.input = Input::HereDoc(r.body.clone()),
        }
    }

    /// `X=value` with no command: the script's variables change.
    fn assign(&mut self, assigns: &[(String, Word)]) {
        for (name, word) in assigns {
            let value = self.single(word);
            self.set(name, &value);
        }
    }
}
