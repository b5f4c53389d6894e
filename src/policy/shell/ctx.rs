//! What one analysis carries through a command line: the scope and its judge, what has been
//! found so far, and what earlier commands taught later ones (variables set, links made, files
//! downloaded).
//!
//! Invariant: findings and path uses are recorded once each (same id and reason, same raw
//! path, place and access), in the order they were found.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::expand::Field;
use super::floor;
use super::judge::Judge;
use super::paths::{self, Resolution};
use super::quote;
use super::{Access, Analysis, Finding, Guarded, PathUse, Scope, Severity, SimpleCommand};

/// Nested scripts (`sh -c`, `$(…)`) are read this deep; deeper ones are opaque.
pub(super) const MAX_DEPTH: usize = 8;

pub(super) struct Ctx<'s> {
    pub scope: &'s Scope,
    pub judge: Judge,
    pub commands: Vec<SimpleCommand>,
    /// One shape per entry of `commands`.
    pub shapes: Vec<String>,
    pub paths: Vec<PathUse>,
    pub findings: Vec<Finding>,
    /// Variables the script itself set: `Some(value)`, or `None` when set to something unknown.
    pub vars: BTreeMap<String, Option<String>>,
    /// Symlinks the script creates, so later paths through them are followed.
    pub links: Vec<(PathBuf, PathBuf)>,
    /// Files a downloader wrote, so running one later is caught.
    pub downloaded: Vec<PathBuf>,
    /// Everything written so far, so running a script the line itself wrote is caught.
    pub written: Vec<PathBuf>,
    /// How many downloading commands have been seen (a nested script compares before/after).
    pub downloads: usize,
    pub depth: usize,
    /// The entry of `commands` being read: findings are attributed to it.
    pub current: Option<usize>,
    /// The redirection operator whose target is being judged (`>`, `>>`, `<`), if any.
    pub redirect: Option<&'static str>,
}

impl<'s> Ctx<'s> {
    pub fn new(scope: &'s Scope) -> Ctx<'s> {
        Ctx {
            scope,
            judge: Judge::new(scope),
            commands: Vec::new(),
            shapes: Vec::new(),
            paths: Vec::new(),
            findings: Vec::new(),
            vars: BTreeMap::new(),
            links: Vec::new(),
            downloaded: Vec::new(),
            written: Vec::new(),
            downloads: 0,
            depth: 0,
            current: None,
            redirect: None,
        }
    }

    pub fn finish(self) -> Analysis {
        Analysis {
            commands: self.commands,
            paths: self.paths,
            findings: self.findings,
            shape: self.shapes.join(" ; "),
        }
    }

    pub fn find(&mut self, severity: Severity, id: &str, reason: String) {
        self.find_guarded(severity, id, reason, None);
    }

    /// A finding that only a rule naming `guarded` waives (`None`: as `find`).
    pub fn find_guarded(
        &mut self,
        severity: Severity,
        id: &str,
        reason: String,
        guarded: Option<Guarded>,
    ) {
        let same = |f: &Finding| f.severity == severity && f.id == id && f.reason == reason;
        if !self.findings.iter().any(same) {
            self.findings.push(Finding {
                severity,
                id: id.to_string(),
                reason,
                part: self.current,
                guarded,
            });
        }
    }

    /// Something that cannot be read with confidence: the user is asked.
    pub fn opaque(&mut self, reason: String) {
        self.find(Severity::Escalate, "shell.opaque", reason);
    }

    /// How a reason names the command that uses the path `raw`: the whole part being read,
    /// quoted as typed (with the redirection when the path is its target).
    pub fn who(&self, raw: &str) -> String {
        let Some(cmd) = self.current.and_then(|i| self.commands.get(i)) else {
            return match self.redirect {
                Some(op) => format!("{op} {}", quote::word(raw)),
                None => raw.to_string(),
            };
        };
        let shown = cmd.shown();
        match self.redirect {
            Some(op) => format!("{shown} {op} {}", quote::word(raw)),
            None => shown,
        }
    }

    /// A variable's value as the script would see it at this point, if known.
    pub fn lookup(&self, name: &str, cwd: Option<&Path>) -> Option<String> {
        if let Some(set) = self.vars.get(name) {
            return set.clone();
        }
        match name {
            "PWD" => cwd.map(|c| c.to_string_lossy().into_owned()),
            "HOME" => self
                .scope
                .home
                .as_ref()
                .map(|h| h.to_string_lossy().into_owned())
                .or_else(|| self.scope.env.get(name).cloned()),
            _ => self.scope.env.get(name).cloned(),
        }
    }

    /// Records that the command uses `field` as a path with `access`, and judges it. Returns
    /// where it points, when known. `judged` is false when the caller already reported the
    /// path (a recursive `chmod` of `/`), so no second finding is made about it.
    pub fn touch(
        &mut self,
        field: &Field,
        access: Access,
        cwd: Option<&Path>,
        judged: bool,
    ) -> Option<PathBuf> {
        if let Some(v) = field.value()
            && (v.is_empty() || floor::harmless_device(v) || paths::is_url(v))
        {
            return None;
        }
        let Resolution { path, location } = if access == Access::Delete {
            paths::resolve_entry(field, cwd, &self.links)
        } else {
            paths::resolve(field, cwd, &self.links)
        };
        let inside = path
            .as_deref()
            .is_some_and(|p| self.judge.inside(p, access));
        let used = PathUse {
            raw: field.text.clone(),
            resolved: path.clone(),
            access,
            inside,
        };
        if !self.paths.contains(&used) {
            self.paths.push(used);
        }
        if let (Access::Write, Some(p)) = (access, &path) {
            self.written.push(p.clone());
        }
        if !judged {
            return path;
        }
        let raw = &field.text;
        let who = self.who(raw);
        let place = match &path {
            Some(p) => Some(p.clone()),
            None => {
                let bare = raw.trim_end_matches(['/', '*']);
                if access == Access::Delete && matches!(bare, "~" | "$HOME" | "${HOME}") {
                    // The home is the home even when this scope does not say where it is.
                    self.find(
                        Severity::Deny,
                        "floor.delete-outside",
                        format!("`{who}` deletes the home directory."),
                    );
                }
                if access != Access::Read {
                    let why = if field.value.is_some() {
                        "the working directory is not known here"
                    } else {
                        "part of it is only known when the command runs"
                    };
                    let place = if who == *raw {
                        String::new()
                    } else {
                        format!(" in `{who}`")
                    };
                    self.opaque(format!("Cannot tell where `{raw}` points{place}: {why}."));
                }
                location
            }
        };
        if let Some(place) = place
            && let Some(v) = self.judge.check(&place, access, &who)
        {
            self.find_guarded(v.severity, v.id, v.reason, v.guarded);
        }
        path
    }
}
