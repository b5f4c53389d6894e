//! `git`: global options (`-C DIR` moves where it works), pushes that rewrite or delete a
//! default branch (the floor), `git config --global` (a write outside the tree), and the
//! subcommands that write or delete files in the repository they work on.

use super::Access::{Delete, Read, Write};
use super::args;
use super::command::Run;
use super::expand::Field;
use super::hooks::{self, Hook};
use super::paths;

/// Branches a force push or a delete must never touch. `HEAD` stands for the current branch.
const DEFAULT_BRANCHES: &[&str] = &["main", "master", "trunk", "develop", "HEAD"];

/// Subcommands that change files in the repository they work on.
const MUTATING: &[&str] = &[
    "add",
    "commit",
    "checkout",
    "switch",
    "restore",
    "reset",
    "clean",
    "rm",
    "mv",
    "merge",
    "rebase",
    "pull",
    "fetch",
    "stash",
    "apply",
    "am",
    "cherry-pick",
    "revert",
    "tag",
    "init",
    "worktree",
    "submodule",
    "gc",
    "prune",
    "branch",
    "notes",
    "replace",
    "update-ref",
];

pub(super) fn run(run: &mut Run, at: usize) {
    let mut i = at + 1;
    let mut dirs: Vec<(usize, Field)> = Vec::new();
    while let Some(v) = run.value(i).map(str::to_string) {
        if !v.starts_with('-') {
            break;
        }
        match v.as_str() {
            "-C" | "--git-dir" | "--work-tree" => {
                dirs.extend(run.fields.get(i + 1).map(|f| (i + 1, f.clone())));
                i += 2;
            }
            "-c" => {
                if let Some(kv) = run.fields.get(i + 1).cloned() {
                    let key = kv.pattern.split('=').next().unwrap_or("").to_string();
                    if let Some(value) = kv.strip(&format!("{key}=")) {
                        setting(run, &key, &value);
                    }
                }
                i += 2;
            }
            "--namespace" | "--exec-path" | "--config-env" => i += 2,
            _ => {
                for prefix in ["--git-dir=", "--work-tree="] {
                    dirs.extend(run.fields[i].strip(prefix).map(|f| (i, f)));
                }
                i += 1;
            }
        }
    }
    let sub = run.value(i).unwrap_or("").to_string();
    let mutating = MUTATING.contains(&sub.as_str());
    let access = if sub == "clean" { Delete } else { Write };
    for (j, dir) in &dirs {
        if mutating {
            run.touch_field(*j, &dir.under(), access);
        } else {
            run.touch_field(*j, dir, Read);
        }
    }
    // `-C DIR`: git's relative paths are relative to DIR.
    if let Some((_, dir)) = dirs.first() {
        let links = run.ctx.links.clone();
        run.cwd = paths::resolve(dir, run.cwd.as_deref(), &links).path;
    } else if mutating && sub != "init" {
        let cwd = run.cwd.clone();
        // What `git clean` deletes is the untracked files, not every file of the tree.
        let touched = if sub == "clean" {
            "./**/untracked"
        } else {
            "./*"
        };
        run.ctx.touch(
            &Field::known(usize::MAX, ".", touched),
            access,
            cwd.as_deref(),
            true,
        );
    }
    let from = i + 1;
    match sub.as_str() {
        "push" => push(run, at, from),
        "config" => config(run, at, from),
        "clone" => clone(run, from),
        "rm" => {
            let (parsed, _) = args::parse(&run.fields, from, &["--pathspec-from-file"], false);
            let access = if args::has(&parsed, &["--cached"]) {
                Read
            } else {
                Delete
            };
            for o in args::operands(&parsed) {
                run.touch(o, access);
            }
        }
        "mv" => {
            let ops = args::operands(&args::parse(&run.fields, from, &[], false).0);
            if let Some((last, rest)) = ops.split_last() {
                for &o in rest {
                    run.touch(o, Delete);
                }
                run.touch(*last, Write);
            }
        }
        "clean" => {
            let (parsed, _) = args::parse(&run.fields, from, &["-e", "--exclude"], false);
            if !args::has(&parsed, &["-n", "--dry-run"]) {
                let operands = args::operands(&parsed);
                for &o in &operands {
                    run.touch(o, Delete);
                }
                ignored(run, &parsed, &operands);
            }
        }
        "init" => {
            let ops =
                args::operands(&args::parse(&run.fields, from, &["--template", "-b"], false).0);
            for o in ops {
                run.touch(o, Write);
            }
        }
        "worktree" => {
            let access = match run.value(from) {
                Some("add") => Write,
                Some("remove") => Delete,
                _ => Read,
            };
            let ops = args::operands(&args::parse(&run.fields, from + 1, &["-b", "-B"], false).0);
            if let Some(&first) = ops.first() {
                run.touch(first, access);
            }
        }
        "commit" | "tag" | "log" | "branch" | "checkout" | "switch" | "merge" | "rebase"
        | "fetch" | "pull" | "remote" | "reset" | "revert" | "cherry-pick" | "stash" => {}
        _ => run.path_like(from),
    }
}

fn push(run: &mut Run, at: usize, from: usize) {
    let valued = ["--repo", "-o", "--push-option", "--receive-pack", "--exec"];
    let (parsed, _) = args::parse(&run.fields, from, &valued, false);
    let force = args::has(&parsed, &["-f", "--force", "--force-with-lease"]);
    let delete = args::has(&parsed, &["-d", "--delete", "--prune"]);
    let ops = args::operands(&parsed);
    let refspecs: Vec<Option<String>> = ops
        .iter()
        .skip(1)
        .map(|&o| run.value(o).map(str::to_string))
        .collect();
    let mut danger: Option<String> = None;
    if args::has(&parsed, &["--mirror"]) {
        danger = Some("every branch (`--mirror`)".into());
    } else if (force || delete) && args::has(&parsed, &["--all", "--branches"]) {
        danger = Some("every branch".into());
    } else if (force || delete) && refspecs.is_empty() {
        danger = Some("the current branch".into());
    }
    for spec in &refspecs {
        let Some(spec) = spec else {
            if force || delete {
                danger = Some("a branch only known when the command runs".into());
            }
            continue;
        };
        let plus = spec.starts_with('+');
        let spec = spec.trim_start_matches('+');
        let (src, dst) = spec.split_once(':').unwrap_or((spec, spec));
        let target = dst.trim_start_matches("refs/heads/");
        let rewrites = force || plus || delete || src.is_empty();
        if rewrites && DEFAULT_BRANCHES.contains(&target) {
            danger = Some(format!("`{target}`"));
        }
    }
    if let Some(what) = danger {
        let shown = run.shown(at);
        run.deny(
            "floor.force-push-default",
            format!("`{shown}` force-pushes or deletes {what}, which may be a default branch."),
        );
    }
}

fn config(run: &mut Run, at: usize, from: usize) {
    let (parsed, _) = args::parse(
        &run.fields,
        from,
        &["-f", "--file", "--blob", "--type"],
        false,
    );
    let reading = args::has(
        &parsed,
        &[
            "--get",
            "--get-all",
            "--get-regexp",
            "--get-urlmatch",
            "-l",
            "--list",
        ],
    ) || matches!(run.value(from), Some("get" | "list"));
    let access = if reading { Read } else { Write };
    for (i, f) in args::values(&parsed, &["-f", "--file"]) {
        run.touch_field(*i, f, access);
    }
    let ops = args::operands(&parsed);
    if let (false, [key, value, ..]) = (reading, ops.as_slice())
        && let Some(k) = run.value(*key).map(str::to_string)
    {
        let value = run.fields[*value].clone();
        setting(run, &k, &value);
    }
    if !reading && args::has(&parsed, &["--global", "--system"]) {
        let shown = run.shown(at);
        run.escalate(
            "implicit.write-outside",
            format!("`{shown}` changes git's configuration outside the project."),
        );
    }
}

fn clone(run: &mut Run, from: usize) {
    let valued = [
        "-b",
        "--branch",
        "--depth",
        "-o",
        "--origin",
        "-c",
        "--config",
        "-j",
        "--jobs",
        "--filter",
        "--shallow-since",
        "--shallow-exclude",
        "-u",
        "--upload-pack",
        "--server-option",
        "--template",
        "--reference",
        "--separate-git-dir",
    ];
    let (parsed, _) = args::parse(&run.fields, from, &valued, false);
    for (i, f) in args::values(&parsed, &["--reference"]) {
        run.touch_field(*i, f, Read);
    }
    for (i, f) in args::values(&parsed, &["--separate-git-dir", "--template"]) {
        run.touch_field(*i, f, Write);
    }
    let ops = args::operands(&parsed);
    if let Some(&repo) = ops.first()
        && run.value(repo).is_some_and(|v| !paths::is_remote(v))
    {
        run.touch(repo, Read);
    }
    match ops.get(1) {
        Some(&dir) => {
            run.touch(dir, Write);
        }
        None => {
            let name = ops
                .first()
                .and_then(|&r| run.value(r))
                .map(|r| {
                    r.trim_end_matches('/')
                        .rsplit(['/', ':'])
                        .next()
                        .unwrap_or(r)
                })
                .map(|n| n.trim_end_matches(".git").to_string())
                .unwrap_or_default();
            let cwd = run.cwd.clone();
            let field = Field::known(usize::MAX, &name, &format!("./{name}"));
            run.ctx.touch(&field, Write, cwd.as_deref(), true);
        }
    }
}

/// `git -c KEY=VALUE`, `git config KEY VALUE`: a value git runs as a command is read as one.
fn setting(run: &mut Run, key: &str, value: &Field) {
    let Some(v) = value.value() else {
        if hooks::git_key(key, "!").is_some() {
            run.ctx.opaque(format!(
                "`{key}` is set to a command only known when it runs."
            ));
        }
        return;
    };
    match hooks::git_key(key, v) {
        Some((Hook::Script, cmd)) => {
            let cmd = Field::known(usize::MAX, cmd, cmd);
            run.script_field(Some(&cmd), key);
        }
        Some((Hook::Opaque, _)) => run.ctx.opaque(format!(
            "`{key}={v}` makes git run code from a place this reader does not follow."
        )),
        _ => {}
    }
}

/// `git clean -x` / `-X` deletes ignored files too, wherever they are under its pathspecs
/// (`./**/*`): Bosun's own state is one (`.bosun/.gitignore`), unless `-x` is told to keep
/// `.bosun` (`-e .bosun`; with `-X` an `-e` pattern is deleted, not kept).
fn ignored(run: &mut Run, parsed: &[args::Arg], operands: &[usize]) {
    let all = args::has(parsed, &["-x"]);
    if !all && !args::has(parsed, &["-X"]) {
        return;
    }
    let kept = args::values(parsed, &["-e", "--exclude"]).any(|(_, f)| {
        let bare = f.value().unwrap_or("").trim_matches('/');
        bare == ".bosun"
    });
    if all && kept {
        return;
    }
    let under = |f: &Field| Field {
        value: f.value.as_ref().map(|v| format!("{v}/**/*")),
        pattern: format!("{}/**/*", f.pattern),
        ..f.clone()
    };
    if operands.is_empty() {
        let cwd = run.cwd.clone();
        let here = under(&Field::known(usize::MAX, ".", "."));
        run.ctx.touch(&here, Delete, cwd.as_deref(), true);
    }
    for &o in operands {
        if let Some(field) = run.fields.get(o).cloned() {
            run.touch_field(o, &under(&field), Delete);
        }
    }
}
