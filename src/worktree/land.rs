//! Landing a prepared merge: the one step that moves the base branch, old → new, and only if it
//! still points where the merge was prepared from.

use std::path::Path;

use super::GitError;
use super::create::branch_head;
use super::git::Git;
use super::list::registered;

/// What landing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landed {
    /// `into` moved from the old commit to the new one.
    Moved,
    /// `into` was at the new commit already (a landing finished before a crash).
    Already,
}

/// Moves branch `into` from `old_commit` to `new_commit` (which descends from it).
///
/// When `into` is checked out (usually in the main checkout) the checkout is fast-forwarded
/// (`git merge --ff-only`), which updates its files and refuses, naming them, when the user's
/// uncommitted changes would be overwritten; otherwise the ref is compare-and-swapped
/// (`git update-ref`). When `into` has moved elsewhere since, nothing happens and the error says
/// so: the merge must be prepared again.
pub fn land(
    root: &Path,
    into: &str,
    new_commit: &str,
    old_commit: &str,
) -> Result<Landed, GitError> {
    let Some(current) = branch_head(root, into)? else {
        return Err(GitError::Other(format!(
            "the branch `{into}` no longer exists in {}",
            root.display()
        )));
    };
    if current == new_commit {
        return Ok(Landed::Already);
    }
    if current != old_commit {
        return Err(moved(into, old_commit, &current));
    }
    let checkout = registered(root)?
        .into_iter()
        .find(|w| w.branch.as_deref() == Some(into) && !w.prunable);
    if let Some(w) = checkout {
        // --no-autostash: a user's `merge.autoStash` must not stash and re-apply their edits.
        let merged = Git::new(&w.path)
            .args([
                "merge",
                "--ff-only",
                "--no-autostash",
                "--no-stat",
                "--quiet",
            ])
            .args([new_commit])
            .run();
        return match merged {
            Ok(_) => Ok(Landed::Moved),
            Err(GitError::Failed { message, dir, .. }) => Err(GitError::Other(format!(
                "nothing was merged: cannot update `{into}` checked out in {}: {message}",
                dir.display()
            ))),
            Err(other) => Err(other),
        };
    }
    let swapped = Git::new(root)
        .args(["update-ref", "-m", "bosun: merge"])
        .args([
            format!("refs/heads/{into}").as_str(),
            new_commit,
            old_commit,
        ])
        .run();
    if let Err(e) = swapped {
        // Lost a race with another writer between the check above and the swap.
        return match branch_head(root, into)? {
            Some(now) if now != old_commit => Err(moved(into, old_commit, &now)),
            _ => Err(e),
        };
    }
    Ok(Landed::Moved)
}

fn moved(into: &str, old: &str, now: &str) -> GitError {
    GitError::Other(format!(
        "the branch `{into}` moved from {} to {} since the merge was prepared: \
         nothing was merged; prepare the merge again",
        short(old),
        short(now)
    ))
}

fn short(oid: &str) -> &str {
    oid.get(..12).unwrap_or(oid)
}
