//! The spare worktree (`worktree.spare`): taken by the next worktree task's start, then made
//! again in the background, so only the first such task of a project waits for git to write
//! the whole tree. At most one refill runs at a time in a process, under the worktrees lock
//! like every change to the repository's worktrees.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::ProjectPaths;

/// A refill is running in this process.
static REFILLING: AtomicBool = AtomicBool::new(false);

/// Takes the spare for a task, when there is a usable one: `false` (and nothing left at
/// `path`) when there is none or taking it failed half-way, so the caller makes the worktree
/// the slow way. Blocking: call it where git runs.
pub(crate) fn take(root: &Path, spare: &Path, path: &Path, branch: &str, commit: &str) -> bool {
    // One being made is not half-taken (nor, looking unclean, removed from under git).
    if REFILLING.load(Ordering::SeqCst) {
        return false;
    }
    match crate::worktree::take_spare(root, spare, path, branch, commit) {
        Ok(taken) => taken,
        Err(e) => {
            tracing::warn!(error = %e, "the spare worktree could not be taken; making one");
            // Moved but not switched, or not moved: whatever is left goes.
            if let Err(e) = crate::worktree::remove(root, path, Some(branch)) {
                tracing::warn!(error = %e, "cannot clear a half-taken spare");
            }
            let _ = crate::worktree::tidy_spare(root, spare);
            false
        }
    }
}

/// Makes the spare again in the background, unless there is one, one is being made, or
/// `enabled` is off. A failure is logged: the next task makes its worktree the slow way.
pub(crate) fn refill(paths: &ProjectPaths, enabled: bool) {
    if !enabled || REFILLING.swap(true, Ordering::SeqCst) {
        return;
    }
    let root: PathBuf = paths.root.clone();
    let spare = paths.spare_worktree();
    let lock = paths.state_dir().join("worktrees.lock");
    tokio::task::spawn_blocking(move || {
        let made = super::lock_worktrees(&lock).and_then(|_held| {
            let made = match crate::worktree::tidy_spare(&root, &spare) {
                Ok(true) => Ok(()),
                Ok(false) => crate::worktree::make_spare(&root, &spare),
                Err(e) => Err(e),
            };
            if made.is_err() {
                let _ = crate::worktree::remove(&root, &spare, None);
            }
            made
        });
        if let Err(e) = made {
            tracing::warn!(error = %e, "cannot make the spare worktree");
        }
        REFILLING.store(false, Ordering::SeqCst);
    });
}
