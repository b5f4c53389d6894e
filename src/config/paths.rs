//! Where a project's files live (DESIGN.md §2). The project root is made absolute once, so every
//! later path is stable whatever the current directory.

use std::io;
use std::path::{Path, PathBuf};

/// The paths of one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPaths {
    pub root: PathBuf,
    pub bosun_dir: PathBuf,
}

impl ProjectPaths {
    /// The project at `root` (which must exist).
    pub fn new(root: &Path) -> io::Result<Self> {
        let root = std::fs::canonicalize(root).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("project directory {}: {e}", root.display()),
            )
        })?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("project directory {} is not a directory", root.display()),
            ));
        }
        let bosun_dir = root.join(".bosun");
        Ok(Self { root, bosun_dir })
    }

    pub fn config_file(&self) -> PathBuf {
        self.bosun_dir.join("config.yaml")
    }

    pub fn workflows_dir(&self) -> PathBuf {
        self.bosun_dir.join("workflows")
    }

    pub fn skills_dir(&self) -> PathBuf {
        self.bosun_dir.join("skills")
    }

    pub fn policy_file(&self) -> PathBuf {
        self.bosun_dir.join("policy.yaml")
    }

    /// The hash-chained log of every decision and command (kept, like the policy, beside the
    /// project's definitions rather than in the disposable state directory).
    pub fn audit_log(&self) -> PathBuf {
        self.bosun_dir.join("audit.jsonl")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.bosun_dir.join("state")
    }

    pub fn database(&self) -> PathBuf {
        self.state_dir().join("bosun.db")
    }

    /// The key the API's tokens are signed with (mode 0600).
    pub fn api_key(&self) -> PathBuf {
        self.state_dir().join("api.key")
    }

    /// Where a running engine's API listens, written once it is bound (`--api 127.0.0.1:0`
    /// picks a free port): `bosun token`, scripts and tests read it.
    pub fn api_addr(&self) -> PathBuf {
        self.state_dir().join("api.addr")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.bosun_dir.join("logs")
    }

    /// An agent step's transcript: every line the agent printed, as printed.
    pub fn agent_transcript(&self, task: &str, step: &str) -> PathBuf {
        self.logs_dir()
            .join("agents")
            .join(format!("{task}-{step}.jsonl"))
    }

    /// Where tasks with `isolation: worktree` get their checkouts.
    pub fn worktrees_dir(&self) -> PathBuf {
        self.bosun_dir.join("worktrees")
    }

    /// The worktree kept checked out ahead of the next task's start.
    pub fn spare_worktree(&self) -> PathBuf {
        self.worktrees_dir().join(".spare")
    }

    /// Task `task`'s worktree.
    pub fn worktree(&self, task: &str) -> PathBuf {
        self.worktrees_dir().join(task)
    }

    pub fn backups_dir(&self) -> PathBuf {
        self.bosun_dir.join("backups")
    }

    /// Bosun's own directories: private (see [`super::private`]), never in version control.
    pub fn private_dirs(&self) -> [PathBuf; 4] {
        [
            self.state_dir(),
            self.logs_dir(),
            self.logs_dir().join("agents"),
            self.backups_dir(),
        ]
    }

    /// Creates `.bosun/state`, `.bosun/logs` (and `logs/agents`) and `.bosun/backups` with mode
    /// 0700 (making them so if they were there), and a `.gitignore` that keeps them out of
    /// version control. Cheap enough for every one-shot verb: what is inside them is tightened
    /// by [`ProjectPaths::ensure_private_state`], at the start of a process that runs on.
    pub fn ensure_state_dirs(&self) -> io::Result<()> {
        // `.bosun` itself holds the user's own files (config, workflows): made as any folder.
        std::fs::create_dir_all(&self.bosun_dir)?;
        for dir in self.private_dirs() {
            super::private::create_private_dir(&dir)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        }
        let ignore = self.bosun_dir.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(
                &ignore,
                "state/\nlogs/\nbackups/\naudit.jsonl\nworktrees/\n",
            )?;
        }
        Ok(())
    }

    /// [`ProjectPaths::ensure_state_dirs`], then takes the group's and others' access from
    /// everything already in those directories (a project made by an older Bosun, files an
    /// agent wrote with modes of its own) and from the audit log. For the start of `bosun run`,
    /// `bosun mcp` and the interface; `worktrees/` is left alone (the user's checkouts).
    pub fn ensure_private_state(&self) -> io::Result<super::private::Tightened> {
        self.ensure_state_dirs()?;
        let mut done = super::private::Tightened::default();
        // `logs/agents` is walked as part of `logs`.
        for dir in [self.state_dir(), self.logs_dir(), self.backups_dir()] {
            done.add(super::private::tighten_tree(&dir)?);
        }
        if super::private::tighten_file(&self.audit_log())? {
            done.files += 1;
        }
        Ok(done)
    }

    /// Makes sure `.bosun/.gitignore` names `worktrees/` (a project made before worktrees
    /// existed lacks it): a task's checkout must never show in the user's `git status`, nor be
    /// added by their `git add -A` as an embedded repository.
    pub fn ignore_worktrees(&self) -> io::Result<()> {
        std::fs::create_dir_all(&self.bosun_dir)?;
        let ignore = self.bosun_dir.join(".gitignore");
        let text = match std::fs::read_to_string(&ignore) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        if text
            .lines()
            .any(|l| matches!(l.trim(), "worktrees/" | "worktrees" | "/worktrees/"))
        {
            return Ok(());
        }
        let sep = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        std::fs::write(&ignore, format!("{text}{sep}worktrees/\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_lives_under_dot_bosun_and_is_gitignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = ProjectPaths::new(dir.path()).expect("paths");
        assert!(paths.database().ends_with(".bosun/state/bosun.db"));
        paths.ensure_state_dirs().expect("dirs");
        let ignore = std::fs::read_to_string(paths.bosun_dir.join(".gitignore")).expect("ignore");
        assert!(ignore.contains("state/") && ignore.contains("logs/"));
        assert!(ignore.contains("worktrees/"));
    }

    #[test]
    fn an_older_gitignore_gains_worktrees_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = ProjectPaths::new(dir.path()).expect("paths");
        std::fs::create_dir_all(&paths.bosun_dir).expect("dir");
        let ignore = paths.bosun_dir.join(".gitignore");
        std::fs::write(&ignore, "state/\nlogs/").expect("write");
        paths.ignore_worktrees().expect("once");
        paths.ignore_worktrees().expect("twice");
        let text = std::fs::read_to_string(&ignore).expect("read");
        assert_eq!(text, "state/\nlogs/\nworktrees/\n");
    }

    #[test]
    fn a_missing_project_is_an_error_naming_it() {
        let err = ProjectPaths::new(Path::new("/no/such/project")).expect_err("missing");
        assert!(err.to_string().contains("/no/such/project"), "{err}");
    }
}
