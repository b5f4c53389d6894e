//! Preparing a task branch's merge into its base: the resulting commit is computed in the
//! object database alone (`git merge-tree --write-tree`, `git commit-tree`), so no checkout and
//! no ref changes, a conflict leaves nothing but unreferenced objects, and a crash at any point
//! changes nothing the user can see. [`super::land`] then moves the base branch.

use std::path::Path;

use super::GitError;
use super::commit::identity_env;
use super::create::branch_head;
use super::git::{Git, is_ancestor};
use super::replay;

/// How a task branch lands on its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// A merge commit with two parents: the base, then the task branch.
    Merge,
    /// One commit on the base with the task's whole change.
    Squash,
    /// The task's commits replayed one by one on the base (merge commits dropped, commits that
    /// became empty skipped), keeping their authors and messages.
    Rebase,
}

/// What a merge would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// Moving the base from `old_commit` to `new_commit` lands the task.
    Ready {
        new_commit: String,
        old_commit: String,
    },
    /// The task branch has nothing the base lacks.
    UpToDate,
    /// These paths conflict; nothing was merged.
    Conflict { files: Vec<String> },
}

/// Computes landing `branch` (checked out in `worktree`) on `into` with `strategy`, without
/// touching any checkout or ref. `message` is the merge or squash commit's message (a rebase
/// keeps each commit's own). Only committed work counts: commit the worktree first
/// ([`super::commit_all`]).
pub fn prepare_merge(
    root: &Path,
    worktree: &Path,
    branch: &str,
    into: &str,
    strategy: Strategy,
    message: &str,
) -> Result<Prepared, GitError> {
    let Some(old) = branch_head(root, into)? else {
        return Err(GitError::Other(format!(
            "there is no branch `{into}` to merge into in {}",
            root.display()
        )));
    };
    let Some(tip) = branch_head(root, branch)? else {
        return Err(GitError::Other(format!(
            "there is no branch `{branch}` in {}: was the task's worktree discarded?",
            root.display()
        )));
    };
    if is_ancestor(root, &tip, &old)? {
        return Ok(Prepared::UpToDate);
    }
    // Commits are made in the task's repository, with the identity its worktree would use.
    let identity = identity_env(worktree)?;
    if strategy == Strategy::Rebase {
        return replay::rebase(root, &tip, &old, &identity);
    }
    let tree = match merge_tree(root, &old, &tip, None)? {
        TreeMerge::Clean(tree) => tree,
        TreeMerge::Conflicted(files) => return Ok(Prepared::Conflict { files }),
    };
    if strategy == Strategy::Squash && tree == tree_of(root, &old)? {
        // The branch's commits cancel out: a squash would be an empty commit.
        return Ok(Prepared::UpToDate);
    }
    let mut git = Git::new(root).args(["commit-tree", &tree, "-p", &old]);
    if strategy == Strategy::Merge {
        git = git.args(["-p", &tip]);
    }
    let new_commit = git.args(["-F", "-"]).envs(&identity).stdin(message).run()?;
    Ok(Prepared::Ready {
        new_commit,
        old_commit: old,
    })
}

/// The result of a three-way merge of trees.
pub(super) enum TreeMerge {
    /// The merged tree's oid.
    Clean(String),
    /// The conflicted paths, sorted.
    Conflicted(Vec<String>),
}

/// Merges `theirs` into `ours` as trees (`git merge-tree --write-tree`); with `merge_base`, as
/// a cherry-pick of `theirs` onto `ours` relative to that commit.
pub(super) fn merge_tree(
    root: &Path,
    ours: &str,
    theirs: &str,
    merge_base: Option<&str>,
) -> Result<TreeMerge, GitError> {
    let mut git = Git::new(root).args([
        "merge-tree",
        "--write-tree",
        "--name-only",
        "--no-messages",
        "-z",
    ]);
    if let Some(base) = merge_base {
        git = git.args([format!("--merge-base={base}")]);
    }
    let git = git.args([ours, theirs]);
    let out = git.output()?;
    // `-z`: the tree, then each conflicted path, each ended by NUL.
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split('\0').filter(|f| !f.is_empty());
    let tree = fields.next().unwrap_or_default().trim().to_string();
    match out.status.code() {
        Some(0) if !tree.is_empty() => Ok(TreeMerge::Clean(tree)),
        Some(1) => {
            let mut files: Vec<String> = fields.map(str::to_string).collect();
            files.sort();
            files.dedup();
            Ok(TreeMerge::Conflicted(files))
        }
        _ => Err(git.failed(&out)),
    }
}

/// The tree oid of `commit`.
pub(super) fn tree_of(root: &Path, commit: &str) -> Result<String, GitError> {
    Git::new(root)
        .args(["rev-parse", &format!("{commit}^{{tree}}")])
        .run()
}
