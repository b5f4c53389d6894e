//! The git side of isolation per task (DESIGN.md §9): a worktree and branch per task, what it
//! changed, and landing it on its base — synchronous calls of the real `git` binary, with no
//! store, no engine and no async (the engine calls them through `spawn_blocking`).
//!
//! - `git`: the one place a `git` process is started (environment, hooks off, error words);
//! - `create`: [`repo_root`], [`resolve_base`], [`create`], [`branch_head`];
//! - `include`: [`copy_included`], the `.worktreeinclude` files (such as `.env`);
//! - `list`: [`registered`] and [`prune`], what git itself has registered;
//! - `remove`: [`remove`], idempotent after any crash, and [`abort_in_progress`];
//! - `commit`: [`commit_all`], with a fallback identity when none is configured;
//! - `snapshot`: [`changes`] and [`diff`], read from a snapshot that leaves the worktree as is;
//! - `merge` and `replay`: [`prepare_merge`], computed without touching a checkout or a ref;
//! - `land`: [`land`], the only step that moves the base branch;
//! - `spare`: [`make_spare`], [`take_spare`] and [`tidy_spare`], a worktree made ahead of a
//!   task's start.
//!
//! Invariants:
//!
//! - Bosun's own git operations run **no repository hooks** (`core.hooksPath=/dev/null` on every
//!   call): a hook is code in the repository that the policy never saw, and a merge Bosun makes
//!   on the user's say-so must not run it behind the policy's back. A step that runs `git commit`
//!   itself goes through the policy like any other command.
//! - Nothing is inherited from a surrounding git process (`GIT_DIR`, `GIT_INDEX_FILE`, … are
//!   removed, so Bosun behaves the same when started from a hook) and git speaks the C locale, so
//!   the messages this module reads are the ones it expects.
//! - Preparing a merge writes only unreferenced objects; [`land`] moves `into` by
//!   compare-and-swap (or a fast-forward of the checkout that has it), so a merge is all or
//!   nothing and a crash between the two leaves the repository as it was.

mod commit;
mod create;
mod git;
mod include;
mod land;
mod list;
mod merge;
mod remove;
mod replay;
mod snapshot;
mod spare;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use commit::commit_all;
pub use create::{Base, branch_head, create, repo_root, resolve_base};
pub use include::copy_included;
pub use land::{Landed, land};
pub use list::{Registered, prune, registered};
pub use merge::{Prepared, Strategy, prepare_merge};
pub use remove::{abort_in_progress, remove};
pub use snapshot::{Changes, Diff, changes, diff};
pub use spare::{make_spare, take_spare, tidy_spare};

/// Why a git operation failed, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git ran and failed: the command, where, and git's own message (trimmed stderr).
    #[error("`git {args}` failed in {dir}: {message}")]
    Failed {
        args: String,
        dir: PathBuf,
        message: String,
    },
    /// The `git` binary could not be started (not installed, not on `PATH`).
    #[error("cannot run git: {0}")]
    Spawn(#[source] std::io::Error),
    /// Anything else (a file copy), already in words.
    #[error("{0}")]
    Other(String),
}
