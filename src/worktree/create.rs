//! Where a task's worktree comes from: the repository holding the project, the commit (and
//! branch) it starts from, and `git worktree add` itself.

use std::path::{Path, PathBuf};

use super::GitError;
use super::git::{Git, commit_of};

/// What a task's worktree starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// The full oid of the commit.
    pub commit: String,
    /// The short name of the local branch ("main") when the ref named one, or HEAD is on one;
    /// None for a tag, a commit id, a remote branch or a detached HEAD.
    pub branch: Option<String>,
}

/// The top of the checkout holding `dir`; None when `dir` is in no git repository.
pub fn repo_root(dir: &Path) -> Result<Option<PathBuf>, GitError> {
    let git = Git::new(dir).args(["rev-parse", "--show-toplevel"]);
    let out = git.output()?;
    if out.status.success() {
        let top = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
        return Ok(Some(PathBuf::from(top)));
    }
    if String::from_utf8_lossy(&out.stderr).contains("not a git repository") {
        return Ok(None);
    }
    Err(git.failed(&out))
}

/// The commit a worktree would start from: `base` (a branch, tag or commit), or HEAD when None.
pub fn resolve_base(root: &Path, base: Option<&str>) -> Result<Base, GitError> {
    let rev = base.unwrap_or("HEAD");
    let Some(commit) = commit_of(root, rev)? else {
        if rev == "HEAD" {
            return Err(GitError::Other(format!(
                "the repository at {} has no commit yet: commit something first, \
                 then start the task again",
                root.display()
            )));
        }
        return Err(GitError::Other(format!(
            "`{rev}` is not a branch, tag or commit in the repository at {}",
            root.display()
        )));
    };
    Ok(Base {
        branch: local_branch(root, rev)?,
        commit,
    })
}

/// The local branch `rev` names (HEAD: the one checked out), as git itself resolves it: a tag
/// of the same name wins, as it does for the commit.
fn local_branch(root: &Path, rev: &str) -> Result<Option<String>, GitError> {
    if rev.starts_with('-') {
        return Ok(None);
    }
    let out = Git::new(root)
        .args(["rev-parse", "--symbolic-full-name", rev])
        .output()?;
    if !out.status.success() {
        // An ambiguous name: git took the tag for the commit, so there is no branch.
        return Ok(None);
    }
    let full = String::from_utf8_lossy(&out.stdout);
    Ok(full
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("refs/heads/"))
        .map(str::to_string))
}

/// `git worktree add -b branch path base_commit`: a new branch checked out at `path`. Fails
/// (git's words) when the branch already exists or `path` is not empty.
pub fn create(root: &Path, path: &Path, branch: &str, base_commit: &str) -> Result<(), GitError> {
    refuse_existing(root, branch)?;
    Git::new(root)
        .args(["worktree", "add", "--quiet", "--no-track", "-b", branch])
        .args([path.as_os_str()])
        .args([base_commit])
        .run()?;
    Ok(())
}

/// A task's branch is new: one of the same name already there is the user's to remove.
pub(super) fn refuse_existing(root: &Path, branch: &str) -> Result<(), GitError> {
    if branch_head(root, branch)?.is_some() {
        return Err(GitError::Other(format!(
            "a branch named `{branch}` already exists in {}: remove it \
             (`git branch -D {branch}`) or choose another name",
            root.display()
        )));
    }
    Ok(())
}

/// Where local branch `branch` points (full oid), or None when there is no such branch.
pub fn branch_head(root: &Path, branch: &str) -> Result<Option<String>, GitError> {
    commit_of(root, &format!("refs/heads/{branch}"))
}
