//! What git itself has registered as worktrees (`git worktree list --porcelain -z`), so that
//! recovery can compare it with what Bosun recorded, and `git worktree prune`.

use std::path::{Path, PathBuf};

use super::GitError;
use super::git::Git;

/// One worktree git knows of (the main checkout first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// Absolute, as git recorded it.
    pub path: PathBuf,
    /// The full oid checked out; None for a bare repository or a branch with no commit yet.
    pub head: Option<String>,
    /// The short name of the branch checked out ("bosun/t-1"); None when detached.
    pub branch: Option<String>,
    /// git would prune it: its directory is gone.
    pub prunable: bool,
}

/// Every worktree git has registered for the repository at `root`.
pub fn registered(root: &Path) -> Result<Vec<Registered>, GitError> {
    let out = Git::new(root)
        .args(["worktree", "list", "--porcelain", "-z"])
        .run()?;
    Ok(parse(&out))
}

/// `git worktree prune`: forgets the worktrees whose directories are gone.
pub fn prune(root: &Path) -> Result<(), GitError> {
    Git::new(root).args(["worktree", "prune"]).run()?;
    Ok(())
}

/// With `-z`, each attribute ends in NUL and a worktree's record ends in an empty one.
fn parse(out: &str) -> Vec<Registered> {
    let mut list = Vec::new();
    let mut current: Option<Registered> = None;
    for field in out.split('\0') {
        if field.is_empty() {
            list.extend(current.take());
            continue;
        }
        let (key, value) = field.split_once(' ').unwrap_or((field, ""));
        if key == "worktree" {
            list.extend(current.take());
            current = Some(Registered {
                path: PathBuf::from(value),
                head: None,
                branch: None,
                prunable: false,
            });
            continue;
        }
        let Some(entry) = current.as_mut() else {
            continue;
        };
        match key {
            // The null oid: a branch with no commit yet.
            "HEAD" if value.bytes().any(|b| b != b'0') => entry.head = Some(value.to_string()),
            "branch" => {
                entry.branch = Some(value.strip_prefix("refs/heads/").unwrap_or(value).into());
            }
            "prunable" => entry.prunable = true,
            _ => {}
        }
    }
    list.extend(current);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_records_are_read_with_their_branch_and_state() {
        let out = "worktree /r\0HEAD 83b9\0branch refs/heads/main\0\0\
                   worktree /r/wt 0000\0HEAD 83b9\0detached\0prunable gitdir file points to \
                   non-existent location\0\0";
        let list = parse(out);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].branch.as_deref(), Some("main"));
        assert_eq!(list[0].head.as_deref(), Some("83b9"));
        assert!(!list[0].prunable);
        assert_eq!(list[1].path, PathBuf::from("/r/wt 0000"));
        assert_eq!(list[1].branch, None);
        assert!(list[1].prunable);
    }
}
