//! What common commands do with their arguments, as a table: which operands are read, written
//! or deleted, which options take a value (so it is not taken for a path), and which options
//! name a path. A command not in any table has its path-looking arguments read.

use super::Access::{self, Delete, Read, Write};
use super::args::{self, Arg};
use super::command::Run;

/// How a command uses its operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operands {
    /// None are paths (`echo`, `sleep`).
    None,
    All(Access),
    /// The last is written; the others are used this way (`cp` reads them, `mv` deletes them).
    LastWrites(Access),
    /// The first is not a path (a pattern, a mode); the rest are used this way.
    AfterFirst(Access),
    /// The first is written (an archive); the rest are read.
    FirstWrites,
}

pub(super) struct Spec {
    names: &'static [&'static str],
    operands: Operands,
    /// Options taking a value that is not a path.
    valued: &'static [&'static str],
    /// Options whose value is a path, and how it is used.
    paths: &'static [(&'static str, Access)],
    /// Options that give the pattern, so the first operand is a path after all (`grep -e`).
    pattern: &'static [&'static str],
}

const fn spec(names: &'static [&'static str], operands: Operands) -> Spec {
    Spec {
        names,
        operands,
        valued: &[],
        paths: &[],
        pattern: &[],
    }
}

const TARGET: &[(&str, Access)] = &[("-t", Write), ("--target-directory", Write)];
const HEAD: &[&str] = &["-n", "-c", "--lines", "--bytes"];
const GREP: &[&str] = &[
    "-m",
    "-A",
    "-B",
    "-C",
    "--max-count",
    "--context",
    "--after-context",
    "--before-context",
    "--include",
    "--exclude",
    "--exclude-dir",
    "--color",
    "--colour",
    "--label",
    "-d",
    "-D",
];
const RG: &[&str] = &[
    "-g",
    "--glob",
    "--iglob",
    "-t",
    "--type",
    "-T",
    "--type-not",
    "-m",
    "--max-count",
    "-A",
    "-B",
    "-C",
    "-j",
    "--threads",
    "--max-depth",
    "-d",
    "-M",
    "--max-columns",
    "--colors",
    "--color",
    "--sort",
    "--sortr",
    "-E",
    "--encoding",
    "--type-add",
    "-r",
    "--replace",
];

const SPECS: &[Spec] = &[
    spec(&["rm", "rmdir", "unlink", "srm"], Operands::All(Delete)),
    Spec {
        valued: &["-n", "-s", "--iterations", "--size"],
        ..spec(&["shred"], Operands::All(Delete))
    },
    Spec {
        valued: &["-S", "--suffix"],
        paths: TARGET,
        ..spec(&["mv"], Operands::LastWrites(Delete))
    },
    Spec {
        valued: &[
            "-S", "--suffix", "-m", "--mode", "-o", "--owner", "-g", "--group",
        ],
        paths: TARGET,
        ..spec(&["cp", "install"], Operands::LastWrites(Read))
    },
    Spec {
        valued: &["-m", "--mode", "-Z", "--context"],
        ..spec(&["mkdir", "mkfifo"], Operands::All(Write))
    },
    Spec {
        valued: &["-d", "-t", "--date"],
        paths: &[("-r", Read), ("--reference", Read)],
        ..spec(&["touch"], Operands::All(Write))
    },
    spec(
        &["tee", "vim", "vi", "nvim", "nano", "emacs", "ed"],
        Operands::All(Write),
    ),
    Spec {
        valued: &["-s", "--size"],
        paths: &[("-r", Read), ("--reference", Read)],
        ..spec(&["truncate"], Operands::All(Write))
    },
    spec(
        &[
            "gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "unzstd", "lz4",
        ],
        Operands::All(Write),
    ),
    Spec {
        valued: &["-x", "-i", "-P", "--password"],
        ..spec(&["zip"], Operands::FirstWrites)
    },
    Spec {
        valued: HEAD,
        ..spec(&["head", "tail"], Operands::All(Read))
    },
    spec(
        &[
            "cat",
            "tac",
            "less",
            "more",
            "wc",
            "nl",
            "od",
            "xxd",
            "hexdump",
            "strings",
            "file",
            "bat",
            "md5sum",
            "sha1sum",
            "sha256sum",
            "sha512sum",
            "b2sum",
            "cksum",
            "realpath",
            "readlink",
            "cmp",
            "comm",
            "paste",
            "column",
            "fold",
            "rev",
            "base64",
            "zcat",
            "ls",
            "dir",
            "stat",
            "du",
            "tree",
            "diff",
        ],
        Operands::All(Read),
    ),
    Spec {
        valued: GREP,
        paths: &[("-f", Read), ("--file", Read)],
        pattern: &["-e", "--regexp", "-f", "--file"],
        ..spec(
            &["grep", "egrep", "fgrep", "zgrep"],
            Operands::AfterFirst(Read),
        )
    },
    Spec {
        valued: RG,
        paths: &[("-f", Read), ("--file", Read), ("--ignore-file", Read)],
        pattern: &["-e", "--regexp", "-f", "--file", "--files", "--type-list"],
        ..spec(&["rg", "ag", "ack"], Operands::AfterFirst(Read))
    },
    Spec {
        valued: &[
            "-k",
            "-t",
            "-S",
            "--key",
            "--field-separator",
            "--buffer-size",
            "--compress-program",
        ],
        paths: &[("-o", Write), ("--output", Write), ("-T", Write)],
        ..spec(&["sort"], Operands::All(Read))
    },
    Spec {
        valued: &["-F", "-v", "--assign", "--field-separator"],
        paths: &[("-f", Read), ("--file", Read)],
        pattern: &["-f", "--file"],
        ..spec(&["awk", "gawk", "mawk", "nawk"], Operands::AfterFirst(Read))
    },
    Spec {
        paths: &[("-f", Read), ("--from-file", Read)],
        pattern: &["-f", "--from-file"],
        ..spec(&["jq", "yq"], Operands::AfterFirst(Read))
    },
    Spec {
        valued: &["-j", "--jobs", "-l", "-o", "-W"],
        paths: &[
            ("-C", Read),
            ("--directory", Read),
            ("-f", Read),
            ("--file", Read),
        ],
        ..spec(&["make", "gmake"], Operands::None)
    },
    Spec {
        paths: &[("-o", Write)],
        valued: &["-I", "-L", "-l", "-D", "-x", "-std", "-W"],
        ..spec(
            &["cc", "gcc", "g++", "clang", "clang++", "rustc"],
            Operands::All(Read),
        )
    },
    spec(
        &[
            "echo", "printf", "true", "false", ":", "exit", "return", "shift", "set", "wait",
            "sleep", "kill", "pwd", "which", "type", "whoami", "id", "uname", "hostname", "date",
            "seq", "yes", "expr", "basename", "dirname", "test", "[", "[[", "tput", "clear",
            "alias", "hash", "jobs", "fg", "bg", "umask", "ulimit", "shopt", "history",
        ],
        Operands::None,
    ),
];

fn find(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.names.contains(&name))
}

/// True when the command writes or deletes its operands (`xargs` feeding it is then opaque).
pub(super) fn writes(name: &str) -> bool {
    find(name).is_some_and(|s| match s.operands {
        Operands::All(a) | Operands::AfterFirst(a) => a != Read,
        Operands::LastWrites(_) | Operands::FirstWrites => true,
        Operands::None => false,
    })
}

pub(super) fn run(run: &mut Run, at: usize, name: &str) {
    let Some(spec) = find(name) else {
        run.path_like(at + 1);
        return;
    };
    let valued: Vec<&str> = spec
        .valued
        .iter()
        .copied()
        .chain(spec.paths.iter().map(|(n, _)| *n))
        .collect();
    let (parsed, _) = args::parse(&run.fields, at + 1, &valued, false);
    let mut target_dir = false;
    for arg in &parsed {
        let Arg::Opt(opt) = arg else { continue };
        let Some((i, field)) = &opt.value else {
            continue;
        };
        if let Some((_, access)) = spec.paths.iter().find(|(n, _)| *n == opt.name) {
            run.touch_field(*i, field, *access);
            target_dir |= TARGET.iter().any(|(n, _)| *n == opt.name);
        } else if !spec.valued.contains(&opt.name.as_str()) {
            let v = field.value.as_deref().unwrap_or(&field.text);
            if super::paths::looks_like_path(v) {
                run.touch_field(*i, field, Read);
            }
        }
    }
    // Options whose value the command runs as a program.
    for (_, f) in args::values(&parsed, &["--compress-program"]) {
        let f = f.clone();
        run.script_field(Some(&f), name);
    }
    let ops = args::operands(&parsed);
    let pattern_given = args::has(&parsed, spec.pattern);
    let each = |run: &mut Run, ops: &[usize], access: Access| {
        for &i in ops {
            run.touch(i, access);
        }
    };
    // `install -d DIR…` makes directories: every operand is written.
    if name == "install" && args::has(&parsed, &["-d", "--directory"]) {
        each(run, &ops, Write);
        return;
    }
    match spec.operands {
        Operands::None => {}
        Operands::All(a) => each(run, &ops, a),
        Operands::LastWrites(a) if target_dir || ops.len() < 2 => each(run, &ops, a),
        Operands::LastWrites(a) => {
            let (last, rest) = ops.split_last().unwrap_or((&0, &[]));
            each(run, rest, a);
            run.touch(*last, Write);
        }
        Operands::AfterFirst(a) if pattern_given => each(run, &ops, a),
        Operands::AfterFirst(a) => each(run, ops.get(1..).unwrap_or_default(), a),
        Operands::FirstWrites => {
            if let Some((first, rest)) = ops.split_first() {
                run.touch(*first, Write);
                each(run, rest, Read);
            }
        }
    }
}
