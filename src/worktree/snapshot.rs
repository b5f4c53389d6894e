//! What a task's worktree changed since it left its base, committed or not: read from a
//! snapshot tree written through a copy of the worktree's index, so the worktree, its index and
//! its branch are exactly as they were (an agent may be working there at that moment).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::GitError;
use super::git::{Git, commit_of, git_path};

/// The files a worktree changed, and how far its branch and the base have gone apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Paths relative to the worktree, sorted: committed, uncommitted and untracked (not
    /// ignored) changes since the merge-base with the base, a rename as both of its paths.
    pub files: Vec<String>,
    /// Commits of the worktree's HEAD that the base does not have.
    pub ahead: u32,
    /// Commits of the base that the worktree's HEAD does not have.
    pub behind: u32,
}

/// A worktree's changes as text for people: `git diff --stat` and the patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub stat: String,
    pub patch: String,
}

/// The files the worktree at `path` changed since its merge-base with `base` (a branch name or
/// an oid), including uncommitted and untracked changes, and its ahead/behind counts.
pub fn changes(path: &Path, base: &str) -> Result<Changes, GitError> {
    let snap = Snapshot::take(path, base)?;
    let names = Git::new(path)
        .args(["diff-tree", "-r", "--no-renames", "--name-only", "-z"])
        .args([&snap.merge_base, &snap.tree])
        .run()?;
    let mut files: Vec<String> = names
        .split('\0')
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    files.sort();
    let counts = Git::new(path)
        .args(["rev-list", "--left-right", "--count"])
        .args([format!("HEAD...{}", snap.base)])
        .run()?;
    let mut numbers = counts.split_whitespace().map(str::parse::<u32>);
    let (Some(Ok(ahead)), Some(Ok(behind))) = (numbers.next(), numbers.next()) else {
        return Err(GitError::Other(format!(
            "unexpected answer from `git rev-list --count` in {}: {counts:?}",
            path.display()
        )));
    };
    Ok(Changes {
        files,
        ahead,
        behind,
    })
}

/// The stat and patch of the worktree at `path` since its merge-base with `base`, with the
/// same snapshot as [`changes`]; `color` asks git for ANSI colours.
pub fn diff(path: &Path, base: &str, color: bool) -> Result<Diff, GitError> {
    let snap = Snapshot::take(path, base)?;
    let color = if color {
        "--color=always"
    } else {
        "--color=never"
    };
    let diff = |extra: &str| {
        Git::new(path)
            .args(["diff", "--no-ext-diff", color, extra])
            .args([&snap.merge_base, &snap.tree])
            .run()
    };
    Ok(Diff {
        stat: diff("--stat")?,
        patch: diff("--patch")?,
    })
}

/// The worktree as it is now, as a tree object, and where it left the base.
struct Snapshot {
    base: String,
    merge_base: String,
    tree: String,
}

impl Snapshot {
    fn take(path: &Path, base: &str) -> Result<Snapshot, GitError> {
        let Some(base_oid) = commit_of(path, base)? else {
            return Err(GitError::Other(format!(
                "`{base}` is not a branch or commit in the repository of {}",
                path.display()
            )));
        };
        let merge_base = Git::new(path)
            .args(["merge-base", "HEAD", &base_oid])
            .run()
            .map_err(|_| {
                GitError::Other(format!(
                    "the worktree {} has no history in common with `{base}`",
                    path.display()
                ))
            })?;
        // Beside the real index (same file system, and a split index finds its shared part);
        // inside the worktree's git directory, so removing the worktree removes a leftover.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "bosun-snapshot-{}-{}.index",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let temp = TempIndex(git_path(path, &name)?);
        let index = git_path(path, "index")?;
        if index.exists() {
            // Its stat data comes along, so `add` hashes only what changed.
            std::fs::copy(&index, &temp.0).map_err(|e| {
                GitError::Other(format!("cannot copy the index {}: {e}", index.display()))
            })?;
        }
        Git::new(path)
            .args(["add", "--all"])
            .env("GIT_INDEX_FILE", &temp.0)
            .run()?;
        let tree = Git::new(path)
            .args(["write-tree"])
            .env("GIT_INDEX_FILE", &temp.0)
            .run()?;
        Ok(Snapshot {
            base: base_oid,
            merge_base,
            tree,
        })
    }
}

/// The snapshot's index file, deleted however the snapshot ends.
struct TempIndex(PathBuf);

impl Drop for TempIndex {
    fn drop(&mut self) {
        // Nothing to do if it is already gone; a leftover goes with the worktree.
        let _ = std::fs::remove_file(&self.0);
    }
}
