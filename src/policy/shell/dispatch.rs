//! Which reader a command goes to: wrappers are looked through (privilege noted, `xargs`
//! remembered, `env -C` followed), then interpreters, builtins, `git`, the network tools, the
//! commands with their own handlers, and the table for the rest. Checks that apply to any
//! command by name — writes outside the tree, disk tools, downloaders — are made here.

use std::path::Path;

use super::command::Run;
use super::expand::UNKNOWN;
use super::{
    Access, builtin, code, custom, floor, git, implicit, interp, known, net, parallel, paths, wrap,
};

/// Commands that run other commands in ways this reader does not follow.
const OPAQUE_RUNNERS: &[&str] = &[
    "expect",
    "tmux",
    "screen",
    "script",
    "unshare",
    "nsenter",
    "at",
    "batch",
    "setpriv",
    "systemd-run",
];

impl Run<'_, '_> {
    /// Reads the command starting at field `at`.
    pub fn dispatch(&mut self, at: usize) {
        let Some(field) = self.fields.get(at) else {
            return;
        };
        let Some(program) = field.value.clone() else {
            let text = field.text.clone();
            self.ctx.opaque(format!(
                "The program `{text}` is only known when the command runs."
            ));
            self.path_like(at + 1);
            return;
        };
        let name = program.rsplit('/').next().unwrap_or(&program).to_string();
        if program.contains('/') {
            let cwd = self.cwd.clone();
            let links = self.ctx.links.clone();
            let path = paths::resolve(&self.fields[at], cwd.as_deref(), &links).path;
            let text = self.text(at);
            self.ran(path.as_deref(), &text);
        }
        if let Some(peel) = wrap::peel(&name, &self.fields[at..]) {
            self.peeled(at, &name, peel);
            return;
        }
        let args: Vec<Option<&str>> = (at + 1..self.fields.len()).map(|i| self.value(i)).collect();
        let implicit = implicit::check(&name, &args);
        // Judged on the command's own words, before a reader adds nested ones (`-exec`).
        let fed_paths_it_writes =
            self.xargs && (known::writes(&name) || custom::writes(&name, &args));
        if floor::disk_tool(&name, &args) {
            let shown = self.shown(at);
            self.deny(
                "floor.destroy-disk",
                format!("`{shown}` wipes a disk or a file system."),
            );
            // Its operand is the device: already the finding, not also a path read.
            for i in at + 1..self.fields.len() {
                if self.value(i).is_some_and(|v| !v.starts_with('-')) {
                    self.touch_unjudged(i, Access::Write);
                }
            }
            return;
        }
        if OPAQUE_RUNNERS.contains(&name.as_str()) {
            let shown = self.shown(at);
            self.ctx.opaque(format!(
                "`{shown}` runs commands in a way this reader does not follow."
            ));
            self.path_like(at + 1);
            return;
        }
        code::check(self, at, &name);
        match name.as_str() {
            "parallel" => parallel::run(self, at),
            n if interp::is_interpreter(n) => interp::run(self, at, n),
            n if builtin::handles(n) => builtin::run(self, at, n),
            "git" => git::run(self, at),
            n if net::handles(n) => net::run(self, at, n),
            n if custom::handles(n) => custom::run(self, at, n),
            n => known::run(self, at, n),
        }
        if let Some(reason) = implicit {
            let shown = self.shown(at);
            self.escalate("implicit.write-outside", format!("`{shown}` {reason}."));
        }
        // What a download substitution produced flows on through this command's output.
        if net::is_downloader(&name) || self.download_redirect || !self.download_words.is_empty() {
            self.outcome.downloads = true;
            self.ctx.downloads += 1;
        }
        if fed_paths_it_writes {
            let shown = self.shown(at);
            self.ctx.opaque(format!(
                "`xargs` gives `{shown}` more paths from its input, which are not known."
            ));
        }
    }

    /// A script or program run from `path`: one this command line downloaded is the floor;
    /// one it wrote itself cannot be read (its contents are made by the line).
    pub fn ran(&mut self, path: Option<&Path>, shown: &str) {
        let Some(path) = path else { return };
        if self.ctx.downloaded.iter().any(|d| d == path) {
            self.deny(
                "floor.download-exec",
                format!("`{shown}` runs a file this command line downloaded."),
            );
        } else if self
            .ctx
            .written
            .iter()
            .any(|w| w == path || (w.is_dir() && path.parent() == Some(w.as_path())))
        {
            self.ctx.opaque(format!(
                "`{shown}` runs a file this command line writes first, whose contents are not known."
            ));
        }
    }

    fn peeled(&mut self, at: usize, name: &str, peel: wrap::Peel) {
        let next = at + peel.skip;
        if peel.privilege {
            let shown = self.shown(at);
            self.escalate(
                "shell.privilege",
                format!("`{shown}` runs with elevated privileges through `{name}`."),
            );
        }
        for f in &peel.assignments {
            let name = f.pattern.split('=').next().unwrap_or("").to_string();
            if let Some(value) = f.strip(&format!("{name}=")) {
                self.setting(&name, &value);
            }
        }
        if let Some(dir) = &peel.chdir {
            let links = self.ctx.links.clone();
            self.cwd = super::paths::resolve(dir, self.cwd.as_deref(), &links).path;
        }
        for f in &peel.reads {
            let cwd = self.cwd.clone();
            self.ctx.touch(f, Access::Read, cwd.as_deref(), true);
        }
        if peel.script.is_some() {
            self.script_field(peel.script.as_ref(), name);
        }
        if peel.xargs {
            self.xargs = true;
        }
        if let Some(r) = &peel.replace {
            // Each `{}` becomes a line of input: unknown until it runs.
            for f in self.fields.iter_mut().skip(next) {
                if f.value.as_deref().is_some_and(|v| v.contains(r.as_str())) {
                    f.pattern = f.pattern.replace(r.as_str(), &UNKNOWN.to_string());
                    f.value = None;
                }
            }
        }
        if peel.stop || next >= self.fields.len() {
            return;
        }
        self.record(next);
        self.dispatch(next);
    }
}
