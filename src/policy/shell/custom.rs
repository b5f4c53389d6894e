//! Commands whose arguments a table cannot describe: `sed -i` (edits only with the flag),
//! `dd if= of=` (a device written is destroyed), `tar` and `unzip` (where they extract, and
//! the programs tar runs), `chmod`/`chown -R` (a mode that looks like a flag; `/` destroys the
//! system), `ln` (a link later paths may go through). `find` has [`super::find`].

use super::Access::{Read, Write};
use super::args;
use super::command::Run;
use super::expand::Field;
use super::paths;

const NAMES: &[&str] = &[
    "sed", "dd", "tar", "unzip", "find", "chmod", "chown", "chgrp", "ln",
];

pub(super) fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Whether `name` with `args` writes or deletes what its operands name: `find` only with an
/// action, `sed` only in place, the others always. (`xargs` appends unknown operands.)
pub(super) fn writes(name: &str, args: &[Option<&str>]) -> bool {
    let any = |f: &dyn Fn(&str) -> bool| args.iter().any(|a| a.is_none_or(f));
    match name {
        "find" => any(&|a| {
            a == "-delete"
                || a.starts_with("-exec")
                || a.starts_with("-ok")
                || a.starts_with("-fprint")
        }),
        "sed" => any(&|a| {
            a.starts_with("--in-place")
                || (a.starts_with('-') && !a.starts_with("--") && a.contains('i'))
        }),
        n => handles(n),
    }
}

pub(super) fn run(run: &mut Run, at: usize, name: &str) {
    match name {
        "sed" => sed(run, at),
        "dd" => dd(run, at),
        "tar" => tar(run, at),
        "unzip" => unzip(run, at),
        "find" => super::find::run(run, at),
        "chmod" | "chown" | "chgrp" => mode_or_owner(run, at, name == "chmod"),
        _ => ln(run, at),
    }
}

fn sed(run: &mut Run, at: usize) {
    // `-i` takes an optional suffix glued to it (`-i.bak`, even `-ie`), so it is found by hand.
    let in_place = (at + 1..run.fields.len()).any(|i| {
        run.value(i).is_some_and(|v| {
            v.starts_with("--in-place")
                || (v.starts_with('-') && !v.starts_with("--") && v.contains('i'))
        })
    });
    let valued = ["-e", "--expression", "-f", "--file", "-l", "--line-length"];
    let cleaned: Vec<Field> = run
        .fields
        .iter()
        .map(|f| match f.value() {
            Some(v) if v.starts_with('-') && !v.starts_with("--") && v.contains('i') => {
                let flags = v.split('i').next().unwrap_or("-");
                Field::known(f.word, &f.text, if flags == "-" { "-n" } else { flags })
            }
            _ => f.clone(),
        })
        .collect();
    let (parsed, _) = args::parse(&cleaned, at + 1, &valued, false);
    for (i, f) in args::values(&parsed, &["-f", "--file"]) {
        run.touch_field(*i, f, Read);
    }
    let script_given = args::has(&parsed, &["-e", "--expression", "-f", "--file"]);
    let ops = args::operands(&parsed);
    let files = if script_given {
        &ops[..]
    } else {
        ops.get(1..).unwrap_or_default()
    };
    for &i in files {
        run.touch(i, if in_place { Write } else { Read });
    }
}

fn dd(run: &mut Run, at: usize) {
    for i in at + 1..run.fields.len() {
        let field = run.fields[i].clone();
        if let Some(f) = field.strip("if=") {
            run.touch_field(i, &f, Read);
        }
        let Some(f) = field.strip("of=") else {
            continue;
        };
        // Any device but the harmless ones: dd writes raw blocks over whatever it holds.
        let device = f
            .value()
            .is_some_and(|v| v.starts_with("/dev/") && !super::floor::harmless_device(v));
        if device {
            let shown = run.shown(at);
            run.deny(
                "floor.destroy-disk",
                format!("`{shown}` writes raw data over the device `{}`.", f.text),
            );
            let cwd = run.cwd.clone();
            run.ctx.touch(&f, Write, cwd.as_deref(), false);
        } else {
            run.touch_field(i, &f, Write);
        }
    }
}

fn tar(run: &mut Run, at: usize) {
    // `tar xzf a.tgz`: the first word may be a bundle of options without a dash.
    let mut fields = run.fields.clone();
    if let Some(first) = fields.get_mut(at + 1)
        && let Some(v) = first
            .value()
            .filter(|v| !v.starts_with('-') && !v.is_empty())
    {
        *first = Field::known(first.word, &first.text, &format!("-{v}"));
    }
    let valued = [
        "-f",
        "--file",
        "-C",
        "--directory",
        "-T",
        "--files-from",
        "-X",
        "--exclude-from",
        "--exclude",
        "-b",
        "-H",
        "--format",
        "--transform",
        "--strip-components",
        "-I",
        "--use-compress-program",
        "--to-command",
        "--checkpoint-action",
        "--info-script",
        "--new-volume-script",
        "-F",
        "--owner",
        "--group",
        "--mode",
        "--mtime",
        "-N",
        "--newer",
    ];
    let (parsed, _) = args::parse(&fields, at + 1, &valued, false);
    let has = |names: &[&str]| args::has(&parsed, names);
    let extract = has(&["-x", "--extract", "--get"]);
    let create = has(&["-c", "--create", "-r", "--append", "-u", "--update"]);
    for (i, f) in args::values(&parsed, &["-f", "--file"]) {
        run.touch_field(*i, f, if create { Write } else { Read });
    }
    for (i, f) in args::values(&parsed, &["-T", "--files-from", "-X", "--exclude-from"]) {
        run.touch_field(*i, f, Read);
    }
    // Options whose value tar runs as a command.
    let programs = [
        "-I",
        "--use-compress-program",
        "--to-command",
        "--info-script",
        "--new-volume-script",
        "-F",
    ];
    let commands: Vec<(usize, Field)> = args::values(&parsed, &programs)
        .cloned()
        .chain(
            args::values(&parsed, &["--checkpoint-action"])
                .filter_map(|(i, f)| f.strip("exec=").map(|f| (*i, f))),
        )
        .collect();
    for (_, f) in &commands {
        run.script_field(Some(f), "tar");
    }
    let dirs: Vec<(usize, Field)> = args::values(&parsed, &["-C", "--directory"])
        .cloned()
        .collect();
    if extract {
        for (i, f) in &dirs {
            run.touch_field(*i, f, Write);
        }
        if dirs.is_empty() {
            run.touch_cwd(Write);
        }
    } else if create {
        for i in args::operands(&parsed) {
            run.touch(i, Read);
        }
    }
}

fn unzip(run: &mut Run, at: usize) {
    let (parsed, _) = args::parse(&run.fields, at + 1, &["-d", "-x", "-P"], false);
    let ops = args::operands(&parsed);
    if let Some(&archive) = ops.first() {
        run.touch(archive, Read);
    }
    if args::has(&parsed, &["-l", "-t", "-v", "-Z"]) {
        return;
    }
    let dest: Vec<(usize, Field)> = args::values(&parsed, &["-d"]).cloned().collect();
    for (i, f) in &dest {
        run.touch_field(*i, f, Write);
    }
    if dest.is_empty() {
        run.touch_cwd(Write);
    }
}

/// `chmod MODE FILES`, `chown OWNER FILES`: the first operand is not a path.
fn mode_or_owner(run: &mut Run, at: usize, chmod: bool) {
    let mut recursive = false;
    let mut mode_given = false;
    let mut ops = Vec::new();
    for i in at + 1..run.fields.len() {
        let Some(v) = run.value(i) else {
            ops.push(i);
            continue;
        };
        if v == "--recursive" {
            recursive = true;
        } else if let Some(f) = run.fields[i].strip("--reference=") {
            run.touch_field(i, &f, Read);
            mode_given = true;
        } else if v.starts_with("--") {
        } else if v.starts_with('-')
            && v.len() > 1
            && (!chmod || v[1..].chars().all(|c| "RcfvhHLP".contains(c)))
        {
            recursive |= v.contains('R');
        } else if v.starts_with('-') && v.len() > 1 {
            // `chmod -x file`: a mode, not an option.
            mode_given = true;
        } else {
            ops.push(i);
        }
    }
    let files = if mode_given {
        &ops[..]
    } else {
        ops.get(1..).unwrap_or_default()
    };
    recursive_root(run, at, files, recursive);
}

/// `chmod -R … /`, `chown -R … /`: the whole system changes owner or mode.
pub(super) fn recursive_root(run: &mut Run, at: usize, files: &[usize], recursive: bool) {
    for &i in files {
        let cwd = run.cwd.clone();
        let links = run.ctx.links.clone();
        let path = paths::resolve(&run.fields[i], cwd.as_deref(), &links).path;
        if recursive && path.as_deref() == Some(std::path::Path::new("/")) {
            let shown = run.shown(at);
            run.deny(
                "floor.destroy-disk",
                format!("`{shown}` changes every file on the system."),
            );
            run.touch_unjudged(i, Write);
        } else {
            run.touch(i, Write);
        }
    }
}

fn ln(run: &mut Run, at: usize) {
    let (parsed, _) = args::parse(
        &run.fields,
        at + 1,
        &["-S", "--suffix", "-t", "--target-directory"],
        false,
    );
    let symbolic = args::has(&parsed, &["-s", "--symbolic"]);
    let ops = args::operands(&parsed);
    let dirs: Vec<(usize, Field)> = args::values(&parsed, &["-t", "--target-directory"])
        .cloned()
        .collect();
    for (i, f) in &dirs {
        run.touch_field(*i, f, Write);
    }
    if !dirs.is_empty() || ops.is_empty() {
        for &i in &ops {
            run.touch(i, Read);
        }
        return;
    }
    let (&link_at, targets) = match ops.split_last() {
        Some((last, rest)) if !rest.is_empty() => (last, rest),
        // `ln -s TARGET`: the link is made in the working directory.
        _ => {
            run.touch(ops[0], Read);
            run.touch_cwd(Write);
            return;
        }
    };
    for &i in targets {
        run.touch(i, Read);
    }
    let link = run.touch(link_at, Write);
    // A hard link is followed like a symlink: writing through it writes the target's file.
    if let ([target], Some(mut link)) = (targets, link) {
        let Some(value) = run.value(*target).map(str::to_string) else {
            return;
        };
        if link.is_dir() {
            link.push(value.rsplit('/').next().unwrap_or(&value));
        }
        // A symlink's relative target is relative to the link's directory.
        let base = match symbolic {
            true => link.parent().map(std::path::Path::to_path_buf),
            false => run.cwd.clone(),
        };
        let links = run.ctx.links.clone();
        if let Some(resolved) = paths::walk(&value, base.as_deref(), &links, 0) {
            run.ctx.links.push((link, resolved));
        }
    }
}
