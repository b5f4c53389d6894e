//! Tests of the git layer on real repositories in temp dirs, driven by the real `git`.
//!
//! Fixtures run git directly (not through the module), so a test checks the module against
//! git's own view: `git status`, `git worktree list`, `git fsck`, `git log`.

mod commit;
mod include;
mod lifecycle;
mod merge;
mod snapshot;
mod spare;

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// A repository with an identity, a `.gitignore` and a first commit on `main`.
pub(super) struct Repo {
    _dir: TempDir,
    pub root: PathBuf,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir
            .path()
            .canonicalize()
            .expect("canonical")
            .join("project");
        std::fs::create_dir(&root).expect("mkdir");
        git(&root, &["init", "--quiet", "--initial-branch=main"]);
        git(&root, &["config", "user.name", "Test User"]);
        git(&root, &["config", "user.email", "test@example.com"]);
        write(&root, ".gitignore", ".bosun/\ntarget/\n.env\n*.log\n");
        write(&root, "src/lib.rs", "line one\nline two\nline three\n");
        write(&root, "README.md", "# project\n");
        git(&root, &["add", "--all"]);
        git(&root, &["commit", "--quiet", "-m", "first"]);
        Repo { _dir: dir, root }
    }

    /// Where the worktree of task `id` goes, as the engine lays it out.
    pub fn worktree(&self, id: &str) -> PathBuf {
        self.root.join(".bosun/worktrees").join(id)
    }

    /// A task worktree on branch `bosun/<id>` from the current HEAD.
    pub fn task(&self, id: &str) -> (PathBuf, String) {
        let path = self.worktree(id);
        let branch = format!("bosun/{id}");
        let base = super::resolve_base(&self.root, None).expect("base");
        super::create(&self.root, &path, &branch, &base.commit).expect("create");
        (path, branch)
    }

    pub fn head(&self, rev: &str) -> String {
        git(&self.root, &["rev-parse", rev])
    }
}

/// Runs git in `dir` and returns its trimmed stdout; panics with git's words on failure.
pub(super) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(super) fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

pub(super) fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).expect("read")
}

/// Commits everything in `dir` with git itself.
pub(super) fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "--quiet", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// `git status --porcelain` of `dir`: empty when clean.
pub(super) fn status(dir: &Path) -> String {
    git(dir, &["status", "--porcelain", "--untracked-files=all"])
}

/// `git fsck` finds nothing wrong (dangling objects are fine: a refused merge leaves some).
pub(super) fn assert_fsck_clean(root: &Path) {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["fsck", "--no-dangling", "--no-progress"])
        .output()
        .expect("fsck");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "git fsck: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The paths of the worktrees git has registered, the main checkout first.
pub(super) fn worktree_list(root: &Path) -> Vec<PathBuf> {
    super::registered(root)
        .expect("registered")
        .into_iter()
        .map(|w| w.path)
        .collect()
}
