//! The one place a `git` process is started. Every call gets the same environment: nothing
//! inherited from a surrounding git process (Bosun may itself run inside a hook, where `GIT_DIR`
//! and `GIT_INDEX_FILE` point at another repository), no prompts, the C locale (this module
//! reads git's messages), and no repository hooks (see the module doc of `worktree`).

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::GitError;

/// What a git process started from Bosun must not inherit.
const STRIPPED: [&str; 7] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_PREFIX",
    "GIT_COMMON_DIR",
];

#[cfg(test)]
thread_local! {
    /// Extra environment for the git calls of one test (each test runs on its own thread), so
    /// a test can hide the machine's global git config without touching the process's.
    pub(super) static TEST_ENV: std::cell::RefCell<Vec<(OsString, Option<OsString>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// One git invocation being built: `Git::new(dir).args([...]).run()`.
pub(super) struct Git {
    dir: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
}

impl Git {
    pub(super) fn new(dir: &Path) -> Self {
        Git {
            dir: dir.to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
        }
    }

    pub(super) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    pub(super) fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    pub(super) fn envs(mut self, vars: &[(String, String)]) -> Self {
        for (k, v) in vars {
            self.env.push((k.into(), v.into()));
        }
        self
    }

    pub(super) fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Runs git and returns its output whatever the exit status (for commands whose status
    /// carries an answer, such as `merge-tree` or `diff --quiet`).
    pub(super) fn output(&self) -> Result<Output, GitError> {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(&self.dir)
            .args(["-c", "core.hooksPath=/dev/null"])
            .args(&self.args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        for name in STRIPPED {
            cmd.env_remove(name);
        }
        #[cfg(test)]
        TEST_ENV.with(|vars| {
            for (k, v) in vars.borrow().iter() {
                match v {
                    Some(v) => cmd.env(k, v),
                    None => cmd.env_remove(k),
                };
            }
        });
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        let mut child = cmd.spawn().map_err(GitError::Spawn)?;
        if let (Some(bytes), Some(mut pipe)) = (&self.stdin, child.stdin.take()) {
            // Messages are small: written whole before reading, no deadlock on the pipes.
            pipe.write_all(bytes).map_err(GitError::Spawn)?;
        }
        child.wait_with_output().map_err(GitError::Spawn)
    }

    /// Runs git, requires success, and returns stdout without its final newline.
    pub(super) fn run(&self) -> Result<String, GitError> {
        let out = self.output()?;
        if !out.status.success() {
            return Err(self.failed(&out));
        }
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        while text.ends_with('\n') {
            text.pop();
        }
        Ok(text)
    }

    /// Runs a git command that answers yes (exit 0) or no (exit 1); anything else is an error.
    pub(super) fn yes(&self) -> Result<bool, GitError> {
        let out = self.output()?;
        match out.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(self.failed(&out)),
        }
    }

    /// The error for a run that failed: git's own words, or the exit status when it gave none.
    pub(super) fn failed(&self, out: &Output) -> GitError {
        let mut message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if message.is_empty() {
            message = String::from_utf8_lossy(&out.stdout).trim().to_string();
        }
        if message.is_empty() {
            message = format!("git {}", out.status);
        }
        GitError::Failed {
            args: self
                .args
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            dir: self.dir.clone(),
            message,
        }
    }
}

/// The full oid `rev` names as a commit, or None when it names none.
pub(super) fn commit_of(dir: &Path, rev: &str) -> Result<Option<String>, GitError> {
    let git = Git::new(dir)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .args([format!("{rev}^{{commit}}")]);
    let out = git.output()?;
    match out.status.code() {
        Some(0) => Ok(Some(
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        )),
        // --quiet: "not a valid object name" is exit 1 with nothing said.
        Some(1) => Ok(None),
        _ => Err(git.failed(&out)),
    }
}

/// Whether commit `a` is an ancestor of (or is) commit `b`.
pub(super) fn is_ancestor(dir: &Path, a: &str, b: &str) -> Result<bool, GitError> {
    Git::new(dir)
        .args(["merge-base", "--is-ancestor", a, b])
        .yes()
}

/// A path under the repository's git directory (`git rev-parse --git-path`), absolute.
pub(super) fn git_path(dir: &Path, name: &str) -> Result<PathBuf, GitError> {
    let out = Git::new(dir)
        .args(["rev-parse", "--path-format=absolute", "--git-path", name])
        .run()?;
    Ok(PathBuf::from(out))
}
