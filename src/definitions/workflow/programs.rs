//! Whether a description is a command line: its first word (after any `NAME=value`
//! assignments) is a shell builtin or keyword, a path to a file, or a program found on the
//! submitter's `PATH` with the project's own tool directories before it. A command line runs as
//! written; only a request in words is matched against workflows. The same lookup tells whether
//! a coding agent is there to take requests in words (`agents.claude-code.command`).

use std::path::{Path, PathBuf};

use crate::config::locate::is_executable;

/// Shell builtins and keywords a command line may start with (POSIX sh and bash's usual ones).
const BUILTINS: &[&str] = &[
    ".", ":", "[", "[[", "alias", "bg", "break", "case", "cd", "command", "continue", "declare",
    "echo", "eval", "exec", "exit", "export", "false", "fg", "for", "function", "getopts", "hash",
    "if", "jobs", "kill", "let", "local", "printf", "pwd", "read", "readonly", "return", "set",
    "shift", "source", "test", "time", "times", "trap", "true", "type", "ulimit", "umask",
    "unalias", "unset", "until", "wait", "while", "{", "(", "!",
];

/// Where programs are looked for, and whether an agent was found among them.
#[derive(Debug, Clone, Default)]
pub struct Programs {
    /// The project root: relative paths and tool directories are under it.
    root: PathBuf,
    /// Directories searched in order: the project's tool directories, then `PATH`.
    dirs: Vec<PathBuf>,
    /// The coding agent that takes requests in words, when one was looked for.
    agent: Option<AgentLookup>,
}

/// A coding agent's binary as the settings name it, and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLookup {
    /// The adapter (`claude-code`).
    pub adapter: String,
    /// `agents.<adapter>.command` as written.
    pub command: String,
    /// The executable it names, when there is one.
    pub found: Option<PathBuf>,
}

impl Programs {
    /// Programs as this process finds them: `prefixes` (relative to `root`, e.g. `.venv/bin`)
    /// before the directories of `PATH`.
    pub fn from_env(root: &Path, prefixes: &[PathBuf]) -> Programs {
        let path = std::env::var_os("PATH").unwrap_or_default();
        Programs::new(root, prefixes, std::env::split_paths(&path).collect())
    }

    pub fn new(root: &Path, prefixes: &[PathBuf], path: Vec<PathBuf>) -> Programs {
        let mut dirs: Vec<PathBuf> = prefixes.iter().map(|p| root.join(p)).collect();
        dirs.extend(path);
        Programs {
            root: root.to_path_buf(),
            dirs,
            agent: None,
        }
    }

    /// Looks for `command`, the binary of `adapter`'s agent, in these directories.
    pub fn with_agent(self, adapter: &str, command: &str) -> Programs {
        let found = self.locate(command);
        self.with_agent_at(adapter, command, found)
    }

    /// Records where `adapter`'s agent binary `command` was found (by
    /// `config::locate::AgentBinary`, which knows the agent's own environment), if it was.
    pub fn with_agent_at(
        mut self,
        adapter: &str,
        command: &str,
        found: Option<PathBuf>,
    ) -> Programs {
        self.agent = Some(AgentLookup {
            adapter: adapter.to_string(),
            command: command.to_string(),
            found,
        });
        self
    }

    /// The agent looked for with [`Programs::with_agent`], found or not.
    pub fn agent(&self) -> Option<&AgentLookup> {
        self.agent.as_ref()
    }

    /// The agent, when it was looked for and found: requests in words can go to it.
    pub fn available_agent(&self) -> Option<(&AgentLookup, &Path)> {
        let agent = self.agent.as_ref()?;
        agent.found.as_deref().map(|path| (agent, path))
    }

    /// The executable `program` names: a path (relative to the root) or a name looked up in
    /// the tool directories and `PATH`.
    pub fn locate(&self, program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            let path = self.root.join(program);
            return is_executable(&path).then_some(path);
        }
        self.dirs
            .iter()
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
    }

    /// What the first word of `line` is, when the line is a command: `a shell builtin`, or the
    /// file that would run. `None` for words that name nothing runnable.
    pub fn command_of(&self, line: &str) -> Option<(String, String)> {
        let word = line
            .split_whitespace()
            .find(|w| !is_assignment(w))?
            .trim_matches(|c| c == '"' || c == '\'');
        if BUILTINS.contains(&word) {
            return Some((word.to_string(), "a shell builtin".to_string()));
        }
        if word.contains('/') {
            let path = self.root.join(word);
            return path
                .is_file()
                .then(|| (word.to_string(), format!("a file ({})", path.display())));
        }
        self.locate(word)
            .map(|found| (word.to_string(), format!("a program ({})", found.display())))
    }
}

/// `NAME=value`, as a command line may begin with.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs(dir: &Path) -> Programs {
        std::fs::create_dir_all(dir.join(".venv/bin")).expect("venv");
        let pytest = dir.join(".venv/bin/pytest");
        std::fs::write(&pytest, "#!/bin/sh\n").expect("pytest");
        let mut perms = std::fs::metadata(&pytest).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&pytest, perms).expect("chmod");
        std::fs::write(dir.join("notes.txt"), "").expect("file");
        Programs::new(
            dir,
            &[PathBuf::from(".venv/bin")],
            vec!["/bin".into(), "/usr/bin".into()],
        )
    }

    #[test]
    fn command_lines_are_told_from_requests_in_words() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = programs(dir.path());
        let first = |line: &str| p.command_of(line).map(|(w, _)| w);
        assert_eq!(first("ls -la").as_deref(), Some("ls"));
        assert_eq!(first("RUST_LOG=debug ls").as_deref(), Some("ls"));
        assert_eq!(first("cd src && ls").as_deref(), Some("cd"));
        assert_eq!(first("pytest -q tests/x.py").as_deref(), Some("pytest"));
        assert_eq!(first("./notes.txt").as_deref(), Some("./notes.txt"));
        assert_eq!(first("lint and test"), None);
        assert_eq!(first("fix the failing tests"), None);
        assert_eq!(first("./missing.sh"), None);
        let (_, what) = p.command_of("pytest").expect("found");
        assert!(what.contains(".venv/bin/pytest"), "{what}");
    }

    #[test]
    fn an_agent_is_found_by_name_or_path_as_a_step_would_run_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = programs(dir.path());
        assert!(p.agent().is_none() && p.available_agent().is_none());
        let by_name = p.clone().with_agent("claude-code", "pytest");
        let (agent, path) = by_name.available_agent().expect("found");
        assert_eq!(agent.command, "pytest");
        assert!(path.ends_with(".venv/bin/pytest"), "{}", path.display());
        let by_path = p.clone().with_agent("claude-code", ".venv/bin/pytest");
        assert!(by_path.available_agent().is_some());
        let missing = p.clone().with_agent("claude-code", "no-such-agent-cli");
        assert!(missing.available_agent().is_none());
        assert_eq!(
            missing.agent().map(|a| a.command.as_str()),
            Some("no-such-agent-cli")
        );
        // A file that is not executable is no agent.
        assert!(
            p.with_agent("claude-code", "./notes.txt")
                .available_agent()
                .is_none()
        );
    }
}
