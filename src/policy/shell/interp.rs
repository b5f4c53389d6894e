//! Interpreters, and where their code comes from. A shell's script (`sh -c SCRIPT`, a literal
//! here-document or here-string) is read as shell, recursively. Code for python, perl, ruby,
//! node… is not shell and is not read; what matters is its source: something downloaded is
//! the floor's `download-exec`, something unknowable (a pipe from another command) is opaque,
//! a file is a path read.

use super::Access;
use super::args::{self, Arg};
use super::command::{Input, Run};
use super::walk;

const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish"];

/// Per interpreter: options that give the code inline, and other options taking a value.
const OTHERS: &[(&str, &[&str], &[&str])] = &[
    ("python", &["-c", "-m"], &["-W", "-X", "-Q"]),
    ("pypy", &["-c", "-m"], &["-W", "-X"]),
    (
        "node",
        &["-e", "--eval", "-p", "--print"],
        &[
            "-r",
            "--require",
            "--import",
            "--loader",
            "-C",
            "--conditions",
        ],
    ),
    (
        "nodejs",
        &["-e", "--eval", "-p", "--print"],
        &["-r", "--require"],
    ),
    ("perl", &["-e", "-E"], &["-I", "-M", "-m"]),
    ("ruby", &["-e"], &["-r", "-I", "-C"]),
    ("php", &["-r"], &["-d", "-c", "-f"]),
    ("lua", &["-e"], &["-l"]),
];

pub(super) fn is_shell(name: &str) -> bool {
    SHELLS.contains(&name)
}

fn other(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    OTHERS
        .iter()
        .find(|(prefix, _, _)| {
            name == *prefix
                || (name.starts_with(prefix)
                    && name[prefix.len()..].starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(|(_, code, valued)| (*code, *valued))
}

pub(super) fn is_interpreter(name: &str) -> bool {
    is_shell(name) || other(name).is_some()
}

pub(super) fn run(run: &mut Run, at: usize, name: &str) {
    if is_shell(name) {
        shell(run, at, name);
    } else if let Some((code, valued)) = other(name) {
        not_shell(run, at, name, code, valued);
    }
}

fn shell(run: &mut Run, at: usize, name: &str) {
    let mut i = at + 1;
    let (mut command, mut from_stdin) = (false, false);
    while let Some(v) = run.value(i) {
        if v == "--" || v == "-" {
            i += 1;
            break;
        }
        if matches!(v, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            i += 2;
            continue;
        }
        if v.starts_with("--") {
            i += 1;
            continue;
        }
        if (v.starts_with('-') || v.starts_with('+')) && v.len() > 1 {
            command |= v.contains('c');
            from_stdin |= v.contains('s');
            i += 1;
            continue;
        }
        break;
    }
    if command {
        if run.fields.get(i).is_some() {
            let who = format!("{name} -c");
            run.script(i, &who);
        }
    } else if !from_stdin && i < run.fields.len() {
        script_file(run, i, name, at, true);
    } else {
        from_input(run, at, true);
    }
}

fn not_shell(run: &mut Run, at: usize, name: &str, code: &[&str], valued: &[&str]) {
    let all: Vec<&str> = code.iter().chain(valued).copied().collect();
    let (opts, next) = args::parse(&run.fields, at + 1, &all, true);
    let inline = opts.iter().find_map(|a| match a {
        Arg::Opt(o) if code.contains(&o.name.as_str()) => Some(o.clone()),
        _ => None,
    });
    // `perl -i`: the files after the code are edited in place.
    let in_place = name == "perl" && args::has(&opts, &["-i"]);
    let files_from = match inline {
        Some(opt) => {
            // Code as its own word (`-e CODE`) is data to the shape; glued to its option
            // (`-eCODE`, `--eval=CODE`) it stays as written, the option with it.
            if let Some((i, _)) = &opt.value
                && run
                    .value(*i)
                    .is_none_or(|v| !v.starts_with(opt.name.as_str()))
            {
                run.code(*i);
            }
            if let Some((i, _)) = opt.value
                && run.downloads_in(i)
            {
                let shown = run.shown(at);
                run.deny(
                    "floor.download-exec",
                    format!("`{shown}` runs code that a substitution downloads."),
                );
            } else if opt.name != "-m" {
                // Code in another language is not read: what it touches cannot be told, so
                // it is asked about rather than passed as harmless.
                let shown = run.shown(at);
                run.escalate(
                    "shell.opaque",
                    format!("`{shown}` runs {name} code given inline, which Bosun does not read."),
                );
            }
            next
        }
        None if next < run.fields.len() && run.value(next) != Some("-") => {
            script_file(run, next, name, at, false);
            next + 1
        }
        None => {
            from_input(run, at, false);
            next + 1
        }
    };
    if in_place {
        for i in files_from..run.fields.len() {
            run.touch(i, Access::Write);
        }
    } else {
        run.path_like(files_from);
    }
}

/// `sh FILE`, `python FILE`: the file is read; one this command line downloaded is the floor.
fn script_file(run: &mut Run, i: usize, name: &str, at: usize, shell: bool) {
    if run
        .value(i)
        .is_some_and(|v| v == "/dev/stdin" || v.starts_with("/dev/fd/"))
    {
        from_input(run, at, shell);
        return;
    }
    let path = run.touch(i, Access::Read);
    let text = run.text(i);
    if run.downloads_in(i) {
        run.deny(
            "floor.download-exec",
            format!("`{name} {text}` runs a downloaded script."),
        );
    } else if run.fields.get(i).is_some_and(|f| f.value.is_none()) {
        run.ctx.opaque(format!(
            "`{name} {text}` runs a script that is only known when it runs."
        ));
    } else {
        run.ran(path.as_deref(), &format!("{name} {text}"));
    }
}

/// The interpreter reads its code from standard input.
fn from_input(run: &mut Run, at: usize, shell: bool) {
    let shown = run.shown(at);
    match run.input.clone() {
        Input::Pipe { download: true } => run.deny(
            "floor.download-exec",
            format!("`{shown}` runs a script piped from a download."),
        ),
        Input::Pipe { download: false } => run.ctx.opaque(format!(
            "`{shown}` runs code piped from another command, which is not known."
        )),
        _ if run.download_redirect => run.deny(
            "floor.download-exec",
            format!("`{shown}` runs a script fed from a download."),
        ),
        Input::File(Some(path)) if run.ctx.downloaded.contains(&path) => run.deny(
            "floor.download-exec",
            format!("`{shown}` runs a downloaded script."),
        ),
        Input::HereString(Some(code)) | Input::HereDoc(Some(code)) if shell => {
            let stdin = run.stdin();
            walk::nested(run.ctx, &code, run.cwd.clone(), stdin);
        }
        Input::HereString(None) => run.ctx.opaque(format!(
            "`{shown}` runs code that is only known when it runs."
        )),
        Input::HereDoc(None) if shell => run.ctx.opaque(format!(
            "`{shown}` runs a here-document whose text is only known when it runs."
        )),
        _ => {}
    }
}
