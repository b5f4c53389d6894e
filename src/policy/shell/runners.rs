//! Tools that run a command in an environment they prepare — `uv run`, `poetry run`,
//! `bundle exec`, `npx`, `direnv exec DIR`, `nix-shell --run` — read like any other wrapper,
//! so the command they run is analyzed.

use super::args::{self, Arg};
use super::expand::Field;
use super::wrap::Peel;

/// `(tool, subcommand, options taking a value)`; an empty subcommand means none.
const RUNNERS: &[(&str, &str, &[&str])] = &[
    (
        "uv",
        "run",
        &[
            "--with",
            "--python",
            "-p",
            "--project",
            "--directory",
            "--env-file",
            "--extra",
            "--group",
            "--package",
            "--with-requirements",
            "--index",
            "--index-url",
            "--from",
        ],
    ),
    ("uvx", "", &["--with", "--python", "--from"]),
    ("poetry", "run", &[]),
    ("pipenv", "run", &[]),
    ("pdm", "run", &[]),
    ("hatch", "run", &[]),
    ("rye", "run", &[]),
    ("conda", "run", &["-n", "--name", "-p", "--prefix", "--cwd"]),
    ("mamba", "run", &["-n", "--name", "-p", "--prefix", "--cwd"]),
    (
        "micromamba",
        "run",
        &["-n", "--name", "-p", "--prefix", "--cwd"],
    ),
    ("bundle", "exec", &[]),
    (
        "npm",
        "exec",
        &["-p", "--package", "-w", "--workspace", "-c", "--call"],
    ),
    ("pnpm", "exec", &[]),
    ("pnpm", "dlx", &[]),
    ("yarn", "exec", &[]),
    ("yarn", "dlx", &[]),
    ("npx", "", &["-p", "--package", "-c", "--call"]),
    ("bunx", "", &[]),
    ("direnv", "exec", &[]),
    ("dotenv", "", &["-e", "-v", "-f"]),
];

/// How a runner wraps the command in `fields` (`fields[0]` is the tool).
pub(super) fn peel(name: &str, fields: &[Field]) -> Option<Peel> {
    if name == "nix-shell" || name == "nix" {
        return nix(name, fields);
    }
    let sub = fields.get(1).and_then(Field::value).unwrap_or("");
    let (_, wanted, valued) = RUNNERS
        .iter()
        .find(|(tool, s, _)| *tool == name && (s.is_empty() || *s == sub))?;
    let from = if wanted.is_empty() { 1 } else { 2 };
    let (opts, mut i) = args::parse(fields, from, valued, true);
    let mut peel = Peel::default();
    for arg in opts {
        let Arg::Opt(opt) = arg else { continue };
        match opt.name.as_str() {
            "-c" | "--call" => {
                peel.script = opt.value.map(|(_, f)| f);
                peel.stop = true;
            }
            "--cwd" => peel.chdir = opt.value.map(|(_, f)| f),
            _ => {}
        }
    }
    if name == "direnv" {
        peel.chdir = fields.get(i).cloned();
        i += 1;
    }
    peel.skip = i.min(fields.len());
    Some(peel)
}

/// `nix-shell --run SCRIPT`, `nix develop -c CMD…`, `nix shell PKG -c CMD…`.
fn nix(name: &str, fields: &[Field]) -> Option<Peel> {
    let mut peel = Peel::default();
    let at = |flags: &[&str]| {
        fields
            .iter()
            .position(|f| f.value().is_some_and(|v| flags.contains(&v)))
    };
    if name == "nix-shell" {
        peel.script = at(&["--run", "--command"]).and_then(|i| fields.get(i + 1).cloned());
        peel.stop = true;
        return Some(peel);
    }
    if !matches!(
        fields.get(1).and_then(Field::value),
        Some("develop" | "shell")
    ) {
        return None;
    }
    match at(&["-c", "--command"]) {
        Some(i) => peel.skip = i + 1,
        None => peel.stop = true,
    }
    Some(peel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(words: &[&str]) -> Option<usize> {
        let fields: Vec<Field> = words
            .iter()
            .enumerate()
            .map(|(i, w)| Field::known(i, w, w))
            .collect();
        peel(words[0], &fields).map(|p| p.skip)
    }

    #[test]
    fn finds_the_command_a_runner_runs() {
        assert_eq!(
            skip(&["uv", "run", "--with", "x", "rm", "-rf", "/"]),
            Some(4)
        );
        assert_eq!(skip(&["poetry", "run", "pytest"]), Some(2));
        assert_eq!(skip(&["npx", "rimraf", "dist"]), Some(1));
        assert_eq!(skip(&["direnv", "exec", ".", "make"]), Some(3));
        assert_eq!(skip(&["nix", "develop", "-c", "cargo", "test"]), Some(3));
        assert_eq!(skip(&["uv", "pip", "install", "x"]), None);
        assert_eq!(skip(&["npm", "install"]), None);
    }
}
