//! What a command line would do, read before it runs: the simple commands in it, the paths it
//! reads, writes or deletes (resolved: `~`, known variables, `..` and symlinks), and what the
//! safety floor finds wrong with it.
//!
//! Invariant: the analysis never under-reports. Whatever it cannot read with confidence (an
//! `eval` of unknown text, a variable it cannot expand in a path that is written, a construct
//! it does not parse) is reported as an `Escalate` finding, never as nothing.
//!
//! Finding ids: `floor.delete-outside`, `floor.protected-write`, `floor.download-exec`,
//! `floor.force-push-default`, `floor.destroy-disk`, `floor.bosun-state` (Deny, never
//! overridable); `boundary.write-outside` (Deny); `boundary.read-outside`,
//! `boundary.bosun-write`, `boundary.agent-settings`, `boundary.git-hooks`, `secrets.read`, `shell.opaque`,
//! `shell.privilege`, `network.upload`, `implicit.write-outside` (Escalate).
//!
//! How it reads a line: `lex` (with `word`, `scan`) makes tokens; `walk` groups them into
//! simple commands and threads the working directory and pipes; `command` expands a command
//! (`expand`) and `dispatch` hands it to the reader that knows it — `wrap` and `runners` (env,
//! sudo, xargs, uv run…), `interp` (shells, recursively; python…), `builtin` (cd, eval,
//! source, variables), `git`, `net` and `remote`, `custom` and `find`, `known` (the table),
//! `implicit`, `hooks` (settings whose value is a command). Paths are resolved in `paths` and
//! judged in `judge` against the lists in `floor` and the places of `guard`; `shape` blanks the variable parts of each
//! command; `ctx` holds what one analysis has found.

mod args;
mod builtin;
mod canonical;
mod code;
mod command;
mod ctx;
mod custom;
mod dispatch;
mod expand;
mod find;
mod floor;
mod git;
mod guard;
mod hooks;
mod implicit;
mod interp;
mod judge;
mod known;
mod lex;
mod net;
mod parallel;
mod paths;
pub mod quote;
mod remote;
mod runners;
mod scan;
mod shape;
mod walk;
mod word;
mod wrap;

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where a command runs and what it may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The directory the command starts in (absolute).
    pub cwd: PathBuf,
    /// The project root (canonical).
    pub project: PathBuf,
    /// More roots that skills may read and write (canonical).
    pub write_roots: Vec<PathBuf>,
    /// Roots that skills may read but not write (canonical).
    pub read_roots: Vec<PathBuf>,
    /// The user's home, for `~` and `$HOME`.
    pub home: Option<PathBuf>,
    /// Variables whose values are known (the step's environment): `$NAME` and `${NAME}` expand.
    pub env: BTreeMap<String, String>,
}

/// How a command uses a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Delete,
}

/// A path a command names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathUse {
    /// As written in the command.
    pub raw: String,
    /// Absolute, with `~`, variables, `..` and symlinks resolved; `None` when it cannot be.
    pub resolved: Option<PathBuf>,
    pub access: Access,
    /// Inside the project or a root that allows this access.
    pub inside: bool,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The user must be asked.
    Escalate,
    /// Never run.
    Deny,
}

/// Something wrong with a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Stable id, e.g. `floor.protected-write`, `boundary.write-outside`, `shell.opaque`.
    pub id: String,
    /// One sentence a user can act on, naming the command part or path at fault.
    pub reason: String,
    /// The index in [`Analysis::commands`] of the part being read when it was found; `None`
    /// when it is about the line as a whole (a construct that could not be parsed).
    pub part: Option<usize>,
    /// For a write to Bosun's own files, an agent's settings or git's hooks: the place a rule
    /// must name to waive the finding.
    pub guarded: Option<Guarded>,
}

/// A place of Bosun's own (`.bosun/`), of an agent's settings or git's hooks that a command
/// writes. A rule waives a finding about it only when one of its `path` patterns matches
/// `path` and spells out `root` before any wildcard: a broad `path: "*"` or `command: "tee *"`
/// does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guarded {
    /// The path reached, as `path` rules see it (relative to the project when inside).
    pub path: String,
    /// What a pattern must begin with: `.bosun`, `.claude`, `.mcp.json`, `.codex`, or the
    /// whole place when it is in the home.
    pub root: String,
}

impl Guarded {
    /// True when a rule's `path` pattern (its literal start `literal`, before any wildcard,
    /// and whether it matches) names this place.
    pub fn named_by(&self, literal: &str, matches: bool) -> bool {
        matches && literal.starts_with(&self.root)
    }
}

/// One simple command (a pipeline stage, an `&&` operand, a `$(…)` inside another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The words after quote removal; variable assignments and redirections left out.
    pub words: Vec<String>,
    /// The words joined by single spaces: what rule patterns are matched against.
    pub text: String,
    /// The same command as rules also see it: the program by name, git's global options left
    /// out, `git checkout`'s paths after `--` (`canonical`).
    pub canonical: String,
    /// It runs a script whose commands are read as parts of their own (`sh -c SCRIPT`): what
    /// decides is those parts, not the wrapper.
    pub wraps_script: bool,
}

impl SimpleCommand {
    /// The command as a person would type it: words quoted where they need it.
    pub fn shown(&self) -> String {
        quote::words(&self.words)
    }

    pub(crate) fn new(words: Vec<String>) -> SimpleCommand {
        SimpleCommand {
            text: words.join(" "),
            canonical: canonical::canonical(&words),
            words,
            wraps_script: false,
        }
    }

    /// The texts a rule pattern may match: as written, and canonical when that differs.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let canonical = (self.canonical != self.text).then_some(self.canonical.as_str());
        std::iter::once(self.text.as_str()).chain(canonical)
    }
}

/// What a command line would do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    pub commands: Vec<SimpleCommand>,
    pub paths: Vec<PathUse>,
    pub findings: Vec<Finding>,
    /// The command with its variable parts (paths, numbers, hashes) blanked: near-identical
    /// commands share a shape.
    pub shape: String,
}

/// Reads `argv` (a plain argv, or a shell such as `sh -c SCRIPT` whose script is read too).
pub fn analyze(argv: &[String], scope: &Scope) -> Analysis {
    let mut ctx = ctx::Ctx::new(scope);
    if argv.is_empty() {
        return ctx.finish();
    }
    // An argv reaches the program as it is: no shell expands or splits its words.
    let simple = command::Simple {
        words: argv.iter().map(|a| word::Word::quoted(a)).collect(),
        ..command::Simple::default()
    };
    let cwd = paths::canonical(&scope.cwd);
    command::run(&mut ctx, &simple, Some(&cwd), command::Stdin::default());
    ctx.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scope on paths that do not exist, so resolution is purely lexical.
    fn scope() -> Scope {
        Scope {
            cwd: "/nonexistent-bosun/proj".into(),
            project: "/nonexistent-bosun/proj".into(),
            write_roots: vec!["/nonexistent-bosun/out".into()],
            read_roots: vec!["/nonexistent-bosun/ref".into()],
            home: Some("/nonexistent-bosun/home".into()),
            env: BTreeMap::from([("D".to_string(), "/nonexistent-bosun/proj/d".to_string())]),
        }
    }

    fn ids_in(scope: &Scope, line: &str) -> Vec<String> {
        let argv = ["bash".to_string(), "-c".to_string(), line.to_string()];
        let mut ids: Vec<String> = analyze(&argv, scope)
            .findings
            .into_iter()
            .map(|f| f.id)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    fn ids(line: &str) -> Vec<String> {
        ids_in(&scope(), line)
    }

    #[test]
    fn working_directory_follows_cd_and_subshells() {
        assert!(ids("(cd /etc) && rm -rf x").is_empty());
        assert_eq!(ids("{ cd /etc; } && rm -rf x"), ["floor.protected-write"]);
        assert!(ids("cd nope && rm -rf x").is_empty());
        assert_eq!(ids("cd nope; rm -rf x"), ["shell.opaque"]);
        assert_eq!(ids("pushd /etc && rm -rf x"), ["floor.protected-write"]);
        assert_eq!(ids("cd /etc && popd && rm -rf x"), ["shell.opaque"]);
    }

    #[test]
    fn variables_set_by_the_script_win_over_the_scope() {
        assert!(ids("rm -rf \"$D/x\"").is_empty());
        assert_eq!(ids("D=/etc; rm -rf \"$D/x\""), ["floor.protected-write"]);
        assert_eq!(ids("for D in a; do rm -rf $D; done"), ["shell.opaque"]);
        assert_eq!(ids("read D; rm -rf $D"), ["shell.opaque"]);
        assert_eq!(ids("unset D; rm -rf \"$D/\""), ["floor.delete-outside"]);
        assert!(ids("rm -rf \"${D:-/}\"").is_empty());
        assert_eq!(ids("rm -rf \"${NOPE:?}/x\""), ["shell.opaque"]);
    }

    #[test]
    fn scripts_inside_scripts_are_read() {
        assert_eq!(ids("bash <<< 'rm -rf /'"), ["floor.delete-outside"]);
        assert_eq!(ids("watch -n 5 'rm -rf /'"), ["floor.delete-outside"]);
        assert_eq!(
            ids("su -c 'rm -rf /' root"),
            ["floor.delete-outside", "shell.privilege"]
        );
        assert_eq!(ids("eval 'rm -rf /'"), ["floor.delete-outside"]);
        assert_eq!(ids("trap 'rm -rf ~' EXIT"), ["floor.delete-outside"]);
        assert!(ids("command -v rm").is_empty());
    }

    #[test]
    fn roots_widen_the_boundary() {
        assert!(ids("cp x /nonexistent-bosun/out/").is_empty());
        assert!(ids("cat /nonexistent-bosun/ref/x").is_empty());
        assert_eq!(ids("rm /nonexistent-bosun/ref/x"), ["floor.delete-outside"]);
        assert_eq!(
            ids("echo > /nonexistent-bosun/ref/x"),
            ["boundary.write-outside"]
        );
    }

    #[test]
    fn a_project_under_a_system_directory_is_still_writable() {
        let mut scope = scope();
        scope.cwd = "/etc/nonexistent-bosun".into();
        scope.project = "/etc/nonexistent-bosun".into();
        assert!(ids_in(&scope, "echo x > configuration.nix").is_empty());
        assert_eq!(
            ids_in(&scope, "echo x > /etc/hosts"),
            ["floor.protected-write"]
        );
    }

    #[test]
    fn pushes_that_rewrite_everything_are_denied() {
        assert_eq!(
            ids("git push --mirror origin"),
            ["floor.force-push-default"]
        );
        assert_eq!(ids("git push -f --all"), ["floor.force-push-default"]);
        assert!(ids("git push --delete origin old-feature").is_empty());
    }

    /// Cases a comparison with brush-parser and tree-sitter-bash found (docs/policy.md): an
    /// array's substitutions and a here-document's unreadable body were passed over silently,
    /// and an apostrophe in a here-document inside `$(…)` hid the closing `)`.
    #[test]
    fn arrays_and_here_documents_inside_substitutions_are_read() {
        assert_eq!(ids("x=( $(rm -rf /) )"), ["floor.delete-outside"]);
        assert_eq!(ids("x=(a \"$(rm -rf ~)\")"), ["floor.delete-outside"]);
        assert_eq!(ids("cat <<EOF\n${x:-$(rm -rf /)}\nEOF"), ["shell.opaque"]);
        let commit = "git commit -m \"$(cat <<'EOF'\nFix the parser's bug\n\nIt's done.\nEOF\n)\"";
        assert!(
            ids(commit).iter().all(|id| id != "shell.opaque"),
            "{:?}",
            ids(commit)
        );
        assert_eq!(
            ids("echo \"$(cat <<EOF\nok\nEOF\n)\" && rm -rf /"),
            ["floor.delete-outside"]
        );
    }

    #[test]
    fn parallel_runs_are_read_one_by_one() {
        assert!(ids("parallel rm -rf {} ::: build dist").is_empty());
        assert_eq!(
            ids("parallel rm -rf {} ::: build /"),
            ["floor.delete-outside"]
        );
        assert_eq!(ids("parallel 'rm -rf {}' ::: /"), ["floor.delete-outside"]);
        assert_eq!(ids("ls | parallel rm"), ["shell.opaque"]);
        assert_eq!(ids("parallel -S host ls ::: a"), ["shell.opaque"]);
        assert_eq!(ids("parallel cat ::: a :::: list"), ["shell.opaque"]);
    }

    /// Garbage in never panics, and whatever is cut off mid-construct is reported.
    #[test]
    fn garbage_never_panics() {
        let pieces = [
            "rm", " ", "-rf", "/", "~", "$", "${", "}", "$(", ")", "(", "`", "'", "\"", "\\", "<<",
            "EOF", "\n", "|", "&&", ";", ">", "<(", "{a,b}", "*", "..", "é", "$'\\x", "=",
            "sh -c ", "cd ", "$HOME", "#", "<<<", "2>&1",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut line = String::new();
            for _ in 0..(seed % 12 + 1) {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                line.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            let argv = ["sh".to_string(), "-c".to_string(), line];
            let _ = analyze(&argv, &scope());
        }
        assert_eq!(ids("echo 'abc"), ["shell.opaque"]);
        assert_eq!(ids("echo $(ls"), ["shell.opaque"]);
        assert_eq!(ids("echo ${X"), ["shell.opaque"]);
        assert_eq!(ids("echo `ls"), ["shell.opaque"]);
        assert_eq!(ids("cat <<EOF\nno end"), ["shell.opaque"]);
    }

    fn read(line: &str) -> Analysis {
        analyze(&["sh".into(), "-c".into(), line.into()], &scope())
    }

    /// A reason quotes the whole part it is about, as it would be typed, and names that part.
    #[test]
    fn findings_quote_and_name_their_whole_part() {
        let a = read("cargo test 2>&1 | tee /nonexistent-bosun/other/x");
        let f = &a.findings[0];
        assert!(
            f.reason.starts_with(
                "`tee /nonexistent-bosun/other/x` writes `/nonexistent-bosun/other/x`"
            ),
            "{f:?}"
        );
        let part = f
            .part
            .and_then(|i| a.commands.get(i))
            .map(|c| c.text.as_str());
        assert_eq!(part, Some("tee /nonexistent-bosun/other/x"));
        let a = read("echo ok >> /nonexistent-bosun/other/log");
        assert!(
            a.findings[0]
                .reason
                .starts_with("`echo ok >> /nonexistent-bosun/other/log` writes"),
            "{:?}",
            a.findings
        );
        let a = read("cargo build && node -e 'console.log(1)'");
        let f = &a.findings[0];
        assert!(
            f.reason
                .starts_with("`node -e 'console.log(1)'` runs node code"),
            "{f:?}"
        );
        let part = f
            .part
            .and_then(|i| a.commands.get(i))
            .map(SimpleCommand::shown);
        assert_eq!(part.as_deref(), Some("node -e 'console.log(1)'"));
    }

    /// Inline code is data: the same program with the same options and other code has the same
    /// shape; another option, or another program, does not.
    #[test]
    fn shapes_blank_data_and_keep_programs_and_options() {
        let shape = |line: &str| read(line).shape;
        assert_eq!(
            shape("node -e 'console.log(1)'"),
            shape("node -e 'console.log(4)'")
        );
        assert_eq!(
            shape("node -e 'console.log(1)'"),
            "sh -c <script> ; node -e <code>"
        );
        assert_eq!(
            shape("python3 -c 'print(1)'"),
            shape("python3 -c 'import os'")
        );
        assert_ne!(shape("node -e 'x'"), shape("node -p 'x'"));
        assert_ne!(shape("node -e 'x'"), shape("node --eval='x'"));
        assert_ne!(shape("python3 -c 'x'"), shape("python3 -I -c 'x'"));
        assert_ne!(shape("rm build/x"), shape("rm -rf /"));
        assert_ne!(shape("rm build/x"), shape("rm build/x /"));
        assert_ne!(
            shape("git push origin feature"),
            shape("git push origin main")
        );
    }

    #[test]
    fn commands_are_listed_outer_first_with_shapes() {
        let argv = [
            "bash".to_string(),
            "-c".to_string(),
            "echo $(ls /etc) > 1.txt".to_string(),
        ];
        let a = analyze(&argv, &scope());
        let texts: Vec<&str> = a.commands.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "bash -c echo $(ls /etc) > 1.txt",
                "echo $(ls /etc)",
                "ls /etc"
            ]
        );
        assert_eq!(
            a.shape,
            "bash -c <script> ; echo $(ls /etc) > <path> ; ls <path>"
        );
        assert_eq!(analyze(&[], &scope()), Analysis::default());
    }
}
