//! Commands that run another command — `env`, `nice`, `nohup`, `time`, `timeout`, `stdbuf`,
//! `xargs`, `command`, `exec`, `sudo`, `doas`, `su`, `watch` — read so the command they run is
//! analyzed like any other. Privilege escalation is noted, never a reason to stop reading.

use super::args::{self, Arg};
use super::expand::{Field, UNKNOWN};
use super::runners;
use super::word::is_name;

/// What a wrapper does around the command it runs.
#[derive(Debug, Default)]
pub(super) struct Peel {
    /// Fields the wrapper and its options take: the command starts after them.
    pub skip: usize,
    pub privilege: bool,
    /// `xargs`: the command gets more arguments from its input.
    pub xargs: bool,
    /// `xargs -I R`: words containing R are replaced by input.
    pub replace: Option<String>,
    /// `env -C DIR`, `sudo -D DIR`: the command runs there.
    pub chdir: Option<Field>,
    /// `su -c SCRIPT`, `env -S STRING`, `watch CMD…`: a shell script to read.
    pub script: Option<Field>,
    /// Files the wrapper itself reads (`xargs -a FILE`).
    pub reads: Vec<Field>,
    /// No command follows the options (`command -v x`, `sudo -l`).
    pub stop: bool,
    /// `NAME=value` words given to the command's environment (`env GIT_PAGER=… git log`).
    pub assignments: Vec<Field>,
}

struct Wrapper {
    names: &'static [&'static str],
    valued: &'static [&'static str],
    /// Operands before the command (`timeout DURATION`).
    positionals: usize,
    /// `NAME=value` words may come before the command.
    assignments: bool,
    privilege: bool,
}

const fn wrapper(names: &'static [&'static str], valued: &'static [&'static str]) -> Wrapper {
    Wrapper {
        names,
        valued,
        positionals: 0,
        assignments: false,
        privilege: false,
    }
}

const SUDO_VALUED: &[&str] = &[
    "-u",
    "-g",
    "-h",
    "-p",
    "-C",
    "-D",
    "-r",
    "-t",
    "-U",
    "-T",
    "--user",
    "--group",
    "--host",
    "--prompt",
    "--close-from",
    "--chdir",
    "--role",
    "--type",
    "--other-user",
    "--command-timeout",
];

const XARGS_VALUED: &[&str] = &[
    "-I",
    "-n",
    "-P",
    "-L",
    "-l",
    "-d",
    "-E",
    "-e",
    "-s",
    "-a",
    "--arg-file",
    "--max-args",
    "--max-procs",
    "--max-lines",
    "--delimiter",
    "--eof",
    "--max-chars",
    "--replace",
    "--process-slot-var",
];

const WRAPPERS: &[Wrapper] = &[
    Wrapper {
        assignments: true,
        ..wrapper(
            &["env"],
            &[
                "-u",
                "--unset",
                "-C",
                "--chdir",
                "-S",
                "--split-string",
                "-a",
                "--argv0",
            ],
        )
    },
    wrapper(&["nice"], &["-n", "--adjustment"]),
    wrapper(&["nohup", "builtin", "setsid", "command", "coproc"], &[]),
    wrapper(&["time"], &["-f", "--format", "-o", "--output"]),
    Wrapper {
        positionals: 1,
        ..wrapper(&["timeout"], &["-s", "--signal", "-k", "--kill-after"])
    },
    wrapper(
        &["stdbuf"],
        &["-i", "-o", "-e", "--input", "--output", "--error"],
    ),
    wrapper(
        &["ionice"],
        &[
            "-c",
            "--class",
            "-n",
            "--classdata",
            "-p",
            "--pid",
            "-P",
            "--pgid",
            "-u",
            "--uid",
        ],
    ),
    wrapper(&["exec"], &["-a"]),
    wrapper(&["xargs"], XARGS_VALUED),
    Wrapper {
        assignments: true,
        privilege: true,
        ..wrapper(&["sudo"], SUDO_VALUED)
    },
    Wrapper {
        privilege: true,
        ..wrapper(&["doas"], &["-u", "-C"])
    },
    Wrapper {
        privilege: true,
        ..wrapper(&["pkexec"], &["--user"])
    },
    Wrapper {
        privilege: true,
        ..wrapper(
            &["su"],
            &[
                "-c",
                "--command",
                "-s",
                "--shell",
                "-g",
                "--group",
                "-G",
                "--supp-group",
            ],
        )
    },
    Wrapper {
        positionals: 1,
        ..wrapper(
            &["flock"],
            &["-w", "--wait", "--timeout", "-E", "--conflict-exit-code"],
        )
    },
    Wrapper {
        positionals: 1,
        privilege: true,
        ..wrapper(&["chroot"], &["--userspec", "--groups"])
    },
    Wrapper {
        privilege: true,
        ..wrapper(
            &["runuser"],
            &[
                "-u",
                "--user",
                "-g",
                "--group",
                "-G",
                "-c",
                "--command",
                "-s",
                "--shell",
            ],
        )
    },
    wrapper(&["busybox", "toybox"], &[]),
    wrapper(
        &["watch"],
        &["-n", "--interval", "-d", "--differences", "-q", "--equexit"],
    ),
];

/// How `name` wraps the command in `fields` (`fields[0]` is the wrapper itself).
pub(super) fn peel(name: &str, fields: &[Field]) -> Option<Peel> {
    if let Some(peel) = runners::peel(name, fields) {
        return Some(peel);
    }
    let w = WRAPPERS.iter().find(|w| w.names.contains(&name))?;
    let mut peel = Peel {
        privilege: w.privilege,
        xargs: name == "xargs",
        ..Peel::default()
    };
    let mut from = 1;
    // `env -` is `env -i`; getopt would read it as an operand.
    while name == "env" && fields.get(from).and_then(Field::value) == Some("-") {
        from += 1;
    }
    let (opts, mut i) = args::parse(fields, from, w.valued, true);
    let named_user = args::has(&opts, &["-u", "--user"]);
    for arg in opts {
        if let Arg::Opt(opt) = arg {
            effect(name, &opt.name, opt.value.map(|(_, f)| f), &mut peel);
        }
    }
    if w.assignments {
        while let Some(f) = fields.get(i).filter(|f| {
            f.value()
                .is_some_and(|v| v.split_once('=').is_some_and(|(n, _)| is_name(n)))
        }) {
            peel.assignments.push(f.clone());
            i += 1;
        }
    }
    i = (i + w.positionals).min(fields.len());
    if name == "flock"
        && matches!(
            fields.get(i).and_then(Field::value),
            Some("-c" | "--command")
        )
    {
        peel.script = fields.get(i + 1).cloned();
        peel.stop = true;
    }
    if name == "su" || (name == "runuser" && !named_user) {
        // `su [user]`: the only command su runs is the one given with `-c`.
        peel.stop = true;
    }
    if name == "watch" {
        peel.script = Some(joined(&fields[i..]));
        peel.stop = true;
    }
    peel.skip = i;
    Some(peel)
}

fn effect(wrapper: &str, opt: &str, value: Option<Field>, peel: &mut Peel) {
    match (wrapper, opt) {
        ("env", "-C" | "--chdir") | ("sudo", "-D" | "--chdir") => peel.chdir = value,
        ("env", "-S" | "--split-string") | ("su" | "runuser", "-c" | "--command") => {
            peel.script = value;
            peel.stop = true;
        }
        ("command", "-v" | "-V") => peel.stop = true,
        ("sudo", "-l" | "--list" | "-v" | "--validate" | "-k" | "-K" | "-e" | "--edit") => {
            peel.stop = true;
        }
        ("xargs", "-I" | "--replace") => {
            peel.replace = Some(value.and_then(|f| f.value).unwrap_or_else(|| "{}".into()));
        }
        ("xargs", "-i") => peel.replace = Some("{}".into()),
        ("xargs", "-a" | "--arg-file") => peel.reads.extend(value),
        _ => {}
    }
}

/// The words `watch` joins into the script it gives `sh -c`.
fn joined(fields: &[Field]) -> Field {
    let text = fields
        .iter()
        .map(|f| f.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let values: Option<Vec<&str>> = fields.iter().map(Field::value).collect();
    match values {
        Some(v) => Field::known(fields.first().map_or(0, |f| f.word), &text, &v.join(" ")),
        None => Field {
            word: fields.first().map_or(0, |f| f.word),
            text,
            value: None,
            pattern: UNKNOWN.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peel_of(words: &[&str]) -> Peel {
        let fields: Vec<Field> = words
            .iter()
            .enumerate()
            .map(|(i, w)| Field::known(i, w, w))
            .collect();
        peel(words[0], &fields).unwrap_or_default()
    }

    #[test]
    fn finds_the_command_after_options() {
        assert_eq!(peel_of(&["env", "-i", "FOO=1", "rm", "-rf", "/"]).skip, 3);
        assert_eq!(
            peel_of(&["timeout", "-s", "KILL", "30", "cargo", "test"]).skip,
            4
        );
        assert_eq!(peel_of(&["nice", "-n", "10", "make"]).skip, 3);
        assert_eq!(peel_of(&["xargs", "-0", "-n1", "rm"]).skip, 3);
        let sudo = peel_of(&["sudo", "-u", "root", "-E", "rm", "x"]);
        assert!(sudo.privilege);
        assert_eq!(sudo.skip, 4);
    }

    #[test]
    fn scripts_and_stops() {
        let su = peel_of(&["su", "-c", "rm -rf /", "root"]);
        assert_eq!(su.script.and_then(|f| f.value).as_deref(), Some("rm -rf /"));
        assert!(su.stop);
        assert!(peel_of(&["command", "-v", "git"]).stop);
        let x = peel_of(&["xargs", "-I{}", "rm", "{}"]);
        assert_eq!(x.replace.as_deref(), Some("{}"));
    }
}
