//! Copies to and from other hosts — `scp`, `rsync` (a remote target with local sources is an
//! upload; a local target is written, and `--delete` deletes in it) — and `ssh`, which uploads
//! whatever local data is fed into it.

use super::Access::{Delete, Read, Write};
use super::args::{self, Arg};
use super::command::{Input, Run};
use super::expand::Field;
use super::net::{options, upload};
use super::paths;

const SCP_VALUED: &[&str] = &["-c", "-F", "-i", "-J", "-l", "-o", "-P", "-S", "-D", "-X"];

const RSYNC_VALUED: &[&str] = &[
    "-e",
    "--rsh",
    "-f",
    "--filter",
    "--exclude",
    "--include",
    "--exclude-from",
    "--include-from",
    "--files-from",
    "--link-dest",
    "--compare-dest",
    "--copy-dest",
    "--backup-dir",
    "--log-file",
    "--temp-dir",
    "-T",
    "--password-file",
    "--chmod",
    "--chown",
    "--timeout",
    "--port",
    "--bwlimit",
    "--max-size",
    "--min-size",
    "--partial-dir",
    "--suffix",
    "--out-format",
    "--rsync-path",
    "-B",
    "--block-size",
    "-M",
    "--remote-option",
    "--info",
    "--debug",
    "--usermap",
    "--groupmap",
    "--iconv",
    "--max-delete",
    "--modify-window",
    "--address",
];

const SSH_VALUED: &[&str] = &[
    "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q",
    "-R", "-S", "-W", "-w", "-B",
];

pub(super) fn copy(run: &mut Run, at: usize, name: &str) {
    let valued = if name == "scp" {
        SCP_VALUED
    } else {
        RSYNC_VALUED
    };
    let (parsed, _) = args::parse(&run.fields, at + 1, valued, false);
    for (opt, i, f) in options(&parsed) {
        let access = match opt.as_str() {
            "-F" | "-i" if name == "scp" => Some(Read),
            "--exclude-from" | "--include-from" | "--files-from" | "--password-file"
            | "--link-dest" | "--compare-dest" | "--copy-dest" => Some(Read),
            "--backup-dir" | "--log-file" | "--temp-dir" | "-T" => Some(Write),
            "-o" if name == "scp" => {
                ssh_option(run, &f);
                None
            }
            "-e" | "--rsh" => {
                run.script_field(Some(&f), "rsync -e");
                None
            }
            _ => None,
        };
        if let Some(access) = access {
            run.touch_field(i, &f, access);
        }
    }
    let ops = args::operands(&parsed);
    let remote = |run: &Run, i: usize| run.value(i).is_some_and(paths::is_remote);
    let Some((&target, sources)) = ops.split_last().filter(|(_, s)| !s.is_empty()) else {
        for &o in &ops {
            if !remote(run, o) {
                run.touch(o, Read);
            }
        }
        return;
    };
    let local: Vec<usize> = sources
        .iter()
        .copied()
        .filter(|&s| !remote(run, s))
        .collect();
    for &s in &local {
        run.touch(s, Read);
    }
    if remote(run, target) {
        if !local.is_empty() {
            let shown = run.shown(at);
            let to = run.text(target);
            upload(run, format!("`{shown}` sends local files to `{to}`."));
        }
        return;
    }
    run.touch(target, Write);
    let deletes = parsed
        .iter()
        .any(|a| matches!(a, Arg::Opt(o) if o.name.starts_with("--delete")));
    if deletes {
        let inside = run.fields[target].under();
        run.touch_field(target, &inside, Delete);
    }
}

pub(super) fn ssh(run: &mut Run, at: usize) {
    let (parsed, _) = args::parse(&run.fields, at + 1, SSH_VALUED, true);
    for (opt, i, f) in options(&parsed) {
        match opt.as_str() {
            "-i" | "-F" => {
                run.touch_field(i, &f, Read);
            }
            "-E" => {
                run.touch_field(i, &f, Write);
            }
            "-o" => ssh_option(run, &f),
            _ => {}
        }
    }
    if matches!(run.input, Input::Pipe { .. } | Input::File(_)) {
        let shown = run.shown(at);
        upload(run, format!("`{shown}` sends local data to a remote host."));
    }
}

/// `-o ProxyCommand=CMD`, `-o LocalCommand=CMD`: ssh runs CMD on this machine.
fn ssh_option(run: &mut Run, option: &Field) {
    let known = option.pattern.to_ascii_lowercase();
    let Some(key) = ["proxycommand", "localcommand"]
        .into_iter()
        .find(|k| known.starts_with(k))
    else {
        return;
    };
    let text = option.value().unwrap_or("");
    let command = text
        .get(key.len()..)
        .unwrap_or("")
        .trim_start_matches(|c: char| c == '=' || c.is_whitespace());
    let field = option
        .value()
        .map(|_| Field::known(option.word, command, command));
    run.script_field(field.as_ref(), "ssh -o");
}
