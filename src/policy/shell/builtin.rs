//! Shell builtins that change what later commands mean: `cd`/`pushd`/`popd` (the working
//! directory), `export`/`read`/`unset`… (variables), and those that run text as commands:
//! `eval`, `source`/`.`, `trap`.
//!
//! Invariant: a variable set to something unknown becomes unknown (never keeps a stale value
//! from the scope), so a path built from it is reported as unreadable.

use super::Access;
use super::command::{CwdChange, Run};
use super::expand::{Field, UNKNOWN};
use super::hooks::{self, Hook};
use super::walk;
use super::word::is_name;

const NAMES: &[&str] = &[
    "cd",
    "pushd",
    "popd",
    "export",
    "declare",
    "typeset",
    "local",
    "readonly",
    "read",
    "mapfile",
    "readarray",
    "getopts",
    "unset",
    "eval",
    "source",
    ".",
    "trap",
    "alias",
];

pub(super) fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

pub(super) fn run(run: &mut Run, at: usize, name: &str) {
    match name {
        "cd" | "pushd" => cd(run, at, name),
        "popd" => run.outcome.cwd = Some(CwdChange::Pop),
        "export" | "declare" | "typeset" | "local" | "readonly" => declare(run, at),
        "read" | "mapfile" | "readarray" | "getopts" => {
            for i in at + 1..run.fields.len() {
                if let Some(v) = run.value(i).filter(|v| is_name(v)) {
                    run.ctx.vars.insert(v.to_string(), None);
                }
            }
        }
        "unset" => {
            // An unset variable expands to nothing: `rm -rf "$X/"` then means `/`.
            let functions = (at + 1..run.fields.len()).any(|i| run.value(i) == Some("-f"));
            for i in at + 1..run.fields.len() {
                if let Some(v) = run.value(i).filter(|v| is_name(v) && !functions) {
                    run.ctx.vars.insert(v.to_string(), Some(String::new()));
                }
            }
        }
        "eval" => eval(run, at),
        "alias" => {
            // An alias body runs whenever the alias is used: read it now.
            for i in at + 1..run.fields.len() {
                if let Some((_, body)) = run.fields[i].value().and_then(|v| v.split_once('=')) {
                    let body = Field::known(usize::MAX, body, body);
                    run.script_field(Some(&body), "alias");
                }
            }
        }
        "trap" => {
            // `trap - SIG` and `trap -p` name no script.
            let script = at + 1;
            if run
                .fields
                .get(script)
                .is_some_and(|f| f.value().is_none_or(|v| !v.starts_with('-')))
            {
                run.script(script, "trap");
            }
        }
        _ => source(run, at, name),
    }
}

fn cd(run: &mut Run, at: usize, name: &str) {
    let target = (at + 1..run.fields.len()).find(|&i| {
        run.value(i).is_none_or(|v| {
            !v.starts_with('-') || v == "-" || name == "pushd" && v.starts_with('+')
        })
    });
    let dir = match target.map(|i| (i, run.value(i))) {
        None => {
            let home = run.ctx.lookup("HOME", run.cwd.as_deref());
            home.and_then(|h| {
                let field = Field::known(usize::MAX, "~", &h);
                let cwd = run.cwd.clone();
                run.ctx.touch(&field, Access::Read, cwd.as_deref(), false)
            })
        }
        // `cd -` and `pushd +N` go to a directory from history, not known here.
        Some((_, Some("-"))) => None,
        Some((_, Some(v))) if v.starts_with('+') => None,
        // Entering a directory reads nothing in it; what later commands do there is judged.
        Some((i, _)) => run.touch_unjudged(i, Access::Read),
    };
    let definite = dir.as_deref().is_some_and(std::path::Path::is_dir);
    run.outcome.cwd = Some(if name == "pushd" {
        CwdChange::Push(dir)
    } else {
        CwdChange::To { dir, definite }
    });
}

/// `export X=…`, `local X=…`: the same as a bare assignment.
fn declare(run: &mut Run, at: usize) {
    for i in at + 1..run.fields.len() {
        let field = &run.fields[i];
        let known = field.pattern.split(UNKNOWN).next().unwrap_or("");
        let Some((name, _)) = known.split_once('=') else {
            continue;
        };
        if !is_name(name) {
            continue;
        }
        let (name, value) = (name.to_string(), field.strip(&format!("{name}=")));
        if let Some(value) = value {
            run.set(&name, &value);
        }
    }
}

impl Run<'_, '_> {
    /// `NAME=value` with no command, or through `export`: the script's variable changes.
    pub fn set(&mut self, name: &str, value: &Field) {
        if name == "IFS" {
            self.ctx.opaque(format!(
                "`IFS={}` changes how words split, which is not followed.",
                value.text
            ));
        }
        self.setting(name, value);
        self.ctx.vars.insert(name.to_string(), value.value.clone());
    }

    /// A variable given to commands: one whose value runs as a command is read as a script.
    pub fn setting(&mut self, name: &str, value: &Field) {
        if name == "PATH"
            && let Some(dir) = value.value().and_then(shared_path_entry)
        {
            self.ctx.opaque(format!(
                "`PATH={}` looks for programs in `{dir}`, where anyone may put one: what later commands run is not known.",
                value.text
            ));
        }
        match hooks::env_var(name) {
            Some(Hook::Script) => self.script_field(Some(value), name),
            Some(Hook::Sourced) => {
                let cwd = self.cwd.clone();
                let path = self.ctx.touch(value, Access::Read, cwd.as_deref(), true);
                if !path.is_some_and(|p| p.starts_with(self.ctx.judge.project())) {
                    self.ctx.opaque(format!(
                        "`{name}` makes shells run `{}` first, whose commands are not read.",
                        value.text
                    ));
                }
            }
            Some(Hook::Opaque) => self.ctx.opaque(format!(
                "`{name}={}` loads code this reader does not follow.",
                value.text
            )),
            None => {}
        }
    }
}

/// An entry of a `PATH` value that anyone may write programs into: a shared scratch
/// directory. (Relative entries are the working directory's, inside the project.)
fn shared_path_entry(path: &str) -> Option<&str> {
    path.split(':').find(|dir| {
        let dir = dir.trim_end_matches('/');
        ["/tmp", "/var/tmp", "/dev/shm"]
            .iter()
            .any(|shared| dir == *shared || dir.starts_with(&format!("{shared}/")))
    })
}

/// `eval`: its arguments, joined, are read again as a script.
fn eval(run: &mut Run, at: usize) {
    if (at + 1..run.fields.len()).any(|i| run.downloads_in(i)) {
        let shown = run.shown(at);
        run.deny(
            "floor.download-exec",
            format!("`{shown}` runs text that a substitution downloads."),
        );
        return;
    }
    let values: Option<Vec<String>> = (at + 1..run.fields.len())
        .map(|i| run.value(i).map(str::to_string))
        .collect();
    match values {
        Some(parts) => {
            let script = parts.join(" ");
            let stdin = run.stdin();
            walk::nested(run.ctx, &script, run.cwd.clone(), stdin);
        }
        None => {
            let shown = run.shown(at);
            run.ctx.opaque(format!(
                "`{shown}` runs text that is only known when it runs."
            ));
        }
    }
}

/// `source FILE`: runs the file's commands here; a file outside the project is not read.
fn source(run: &mut Run, at: usize, name: &str) {
    let Some(file) = (at + 1..run.fields.len()).find(|&i| run.value(i) != Some("--")) else {
        return;
    };
    let path = run.touch(file, Access::Read);
    let inside = path
        .as_deref()
        .is_some_and(|p| p.starts_with(run.ctx.judge.project()));
    let text = run.text(file);
    let written = path.as_ref().is_some_and(|p| run.ctx.written.contains(p));
    let downloaded = path
        .as_ref()
        .is_some_and(|p| run.ctx.downloaded.contains(p));
    if downloaded || written {
        run.ran(path.as_deref(), &format!("{name} {text}"));
    } else if run.downloads_in(file) {
        run.deny(
            "floor.download-exec",
            format!("`{name} {text}` runs a downloaded script."),
        );
    } else if !inside {
        run.ctx.opaque(format!(
            "`{name} {text}` runs a file outside the project whose commands are not read."
        ));
    }
}
