//! Taking a task's worktree away, whatever state a crash left it in, and finishing what a crash
//! left half-done inside one.

use std::path::{Path, PathBuf};

use super::GitError;
use super::create::branch_head;
use super::git::{Git, git_path};
use super::list::{prune, registered};

/// Removes the worktree at `path` and then `branch`: idempotent, from any half-made state
/// (registered without a directory, a directory git does not know, a branch left behind, or
/// nothing at all). Uncommitted work in it is discarded: removing is the user's decision.
///
/// Only that worktree and branch are touched: `git worktree remove --force --force` when
/// registered, the directory when still there, `git worktree prune`, `git branch -D` when the
/// branch exists. It refuses a `path` that holds the repository itself.
pub fn remove(root: &Path, path: &Path, branch: Option<&str>) -> Result<(), GitError> {
    let path = root.join(path);
    let target = normalized(&path);
    let list = registered(root)?;
    let holds = |p: &Path| normalized(p).starts_with(&target);
    if holds(root) || list.first().is_some_and(|main| holds(&main.path)) {
        return Err(GitError::Other(format!(
            "refusing to remove {}: it holds the repository itself, not a task's worktree",
            path.display()
        )));
    }
    let mut failure = None;
    if list.iter().skip(1).any(|w| normalized(&w.path) == target) {
        // Twice forced: also when it has changes or is locked. If git cannot (a directory half
        // deleted), deleting the directory and pruning below finish the job.
        let removed = Git::new(root)
            .args(["worktree", "remove", "--force", "--force"])
            .args([path.as_os_str()])
            .run();
        failure = removed.err();
    }
    if path.symlink_metadata().is_ok() {
        std::fs::remove_dir_all(&path).map_err(|e| {
            GitError::Other(format!(
                "cannot remove the directory {}: {e}",
                path.display()
            ))
        })?;
    }
    prune(root)?;
    if let Some(failure) = failure
        && registered(root)?
            .iter()
            .any(|w| normalized(&w.path) == target)
    {
        return Err(failure);
    }
    if let Some(branch) = branch
        && branch_head(root, branch)?.is_some()
    {
        Git::new(root).args(["branch", "-D", branch]).run()?;
    }
    Ok(())
}

/// Aborts a rebase, merge, cherry-pick, revert or `am` left half-done in the worktree at `path`
/// (an agent killed while rebasing), and removes a stale `index.lock` a killed git left, which
/// would otherwise fail every later git command there. Call it only while nothing runs in that
/// worktree (recovery); a worktree with nothing in progress is left as is.
pub fn abort_in_progress(path: &Path) -> Result<(), GitError> {
    let exists = |name: &str| -> Result<bool, GitError> {
        Ok(git_path(path, name)?.symlink_metadata().is_ok())
    };
    let lock = git_path(path, "index.lock")?;
    if lock.exists() {
        std::fs::remove_file(&lock).map_err(|e| {
            GitError::Other(format!("cannot remove the stale {}: {e}", lock.display()))
        })?;
    }
    let verb = if exists("rebase-apply/applying")? {
        "am"
    } else if exists("rebase-merge")? || exists("rebase-apply")? {
        "rebase"
    } else if exists("MERGE_HEAD")? {
        "merge"
    } else if exists("CHERRY_PICK_HEAD")? {
        "cherry-pick"
    } else if exists("REVERT_HEAD")? {
        "revert"
    } else {
        return Ok(());
    };
    // Where a rebase started from, read before anything can delete it.
    let mut head_name = None;
    for dir in ["rebase-merge", "rebase-apply"] {
        if let Ok(name) = std::fs::read_to_string(git_path(path, &format!("{dir}/head-name"))?) {
            head_name = name.trim().strip_prefix("refs/heads/").map(str::to_string);
        }
    }
    if Git::new(path).args([verb, "--abort"]).run().is_ok() {
        return Ok(());
    }
    // A state too broken to abort (a crash mid-write): forget it instead, then put the branch
    // and its files back as they were before it started.
    Git::new(path).args([verb, "--quit"]).run()?;
    match head_name {
        Some(branch) => Git::new(path).args(["checkout", "--force", "--quiet", &branch]),
        None => Git::new(path).args(["reset", "--hard", "--quiet"]),
    }
    .run()?;
    Ok(())
}

/// `p` with symbolic links resolved as far as it exists (git records real paths; a removed
/// directory can no longer be canonicalized, its nearest existing ancestor can).
fn normalized(p: &Path) -> PathBuf {
    if let Ok(real) = p.canonicalize() {
        return real;
    }
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) => normalized(parent).join(name),
        _ => p.to_path_buf(),
    }
}
