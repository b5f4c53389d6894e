//! A spare worktree, made ahead of time, so a task's start does not wait for git to write the
//! whole tree: checking out 10,000 files costs from a quarter of a second (tmpfs, a fast SSD)
//! to several seconds (a slow or busy disk), while taking a spare costs a rename and the
//! checkout of what changed since it was made.
//!
//! A spare is a detached worktree at some commit, with nothing in it but what git checked out.
//! Taking it moves it to the task's path and puts the task's new branch at the task's base
//! there; a spare that is not clean (a crash mid-way, a hand that touched it) is never taken.

use std::path::Path;

use super::GitError;
use super::create::refuse_existing;
use super::git::Git;

/// Makes a spare at `path` (which must not exist), detached at `HEAD`.
pub fn make_spare(root: &Path, path: &Path) -> Result<(), GitError> {
    Git::new(root)
        .args(["worktree", "add", "--quiet", "--detach"])
        .args([path.as_os_str()])
        .args(["HEAD"])
        .run()?;
    Ok(())
}

/// Whether `path` is a spare that may be taken: registered, detached, and clean.
fn usable(root: &Path, path: &Path) -> Result<bool, GitError> {
    if !path.is_dir() {
        return Ok(false);
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let listed = super::registered(root)?
        .into_iter()
        .any(|w| canonical(&w.path) == canonical(path) && w.branch.is_none() && !w.prunable);
    if !listed {
        return Ok(false);
    }
    let status = Git::new(path)
        .args([
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--ignored=matching",
        ])
        .run()?;
    Ok(status.trim().is_empty())
}

/// Keeps the spare at `path` when it may be taken, else removes what is there (a spare a crash
/// cut off half-made); returns whether a usable spare remains.
pub fn tidy_spare(root: &Path, path: &Path) -> Result<bool, GitError> {
    if usable(root, path)? {
        return Ok(true);
    }
    if path.exists() {
        super::remove(root, path, None)?;
    }
    Ok(false)
}

/// Takes the spare at `spare` for a task: moved to `path`, on a new `branch` at
/// `base_commit`. `Ok(false)`: there is no usable spare (one that is not clean is removed), and
/// the caller makes the worktree the slow way.
pub fn take_spare(
    root: &Path,
    spare: &Path,
    path: &Path,
    branch: &str,
    base_commit: &str,
) -> Result<bool, GitError> {
    if !tidy_spare(root, spare)? {
        return Ok(false);
    }
    refuse_existing(root, branch)?;
    Git::new(root)
        .args(["worktree", "move"])
        .args([spare.as_os_str(), path.as_os_str()])
        .run()?;
    Git::new(path)
        .args([
            "checkout",
            "--quiet",
            "--no-track",
            "-b",
            branch,
            base_commit,
        ])
        .run()?;
    Ok(true)
}
