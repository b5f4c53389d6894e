//! The words of worktree isolation (DESIGN.md §9): where a task runs, the state of its
//! worktree, how its branch lands, and the view of it every front end shows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TaskId;
use super::status::{ParseError, named_enum};

named_enum!(
    /// Where a task's steps run (`isolation:` in a workflow, `--isolation` at submit): in the
    /// project's checkout beside the user, or in `.bosun/worktrees/<task-id>` on a branch of
    /// its own, merged or discarded after.
    Isolation, "isolation", {
        None => "none",
        Worktree => "worktree",
    }
);

// `named_enum!` makes the enum, so its default is written out rather than derived.
#[allow(clippy::derivable_impls)]
impl Default for Isolation {
    fn default() -> Isolation {
        Isolation::None
    }
}

named_enum!(
    /// Where a task's worktree is in its life: `creating` (recorded, being made; a restart
    /// finishes or removes it), `active` (its task runs in it), `ready` (the task ended; the
    /// branch waits to be merged or discarded), `merging` (queued or being merged),
    /// `conflicted` (a merge conflicted, nothing was merged: the user decides), then `merged`,
    /// `discarded` or `removed` (its setup failed, or its task changed nothing) — the last
    /// three with neither checkout nor branch any more.
    WorktreeState, "worktree state", {
        Creating => "creating",
        Active => "active",
        Ready => "ready",
        Merging => "merging",
        Conflicted => "conflicted",
        Merged => "merged",
        Discarded => "discarded",
        Removed => "removed",
    }
);

impl WorktreeState {
    /// Its checkout and branch are gone.
    pub fn is_gone(self) -> bool {
        matches!(
            self,
            WorktreeState::Merged | WorktreeState::Discarded | WorktreeState::Removed
        )
    }
}

named_enum!(
    /// How a task's branch lands on its base: a merge commit so the history shows the task
    /// (`git merge --no-ff`, the default), one squashed commit, or its commits replayed on the
    /// base in a straight line.
    MergeStrategy, "merge strategy", {
        Merge => "merge",
        Squash => "squash",
        Rebase => "rebase",
    }
);

/// Another task in flight that changes some of the same files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Collision {
    pub task_id: TaskId,
    pub files: Vec<String>,
}

/// A task's worktree, as `show --json` and the interface show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorktreeView {
    pub path: String,
    pub branch: String,
    /// The branch it merges into; `None` when it was made from a commit no branch names.
    pub base: Option<String>,
    /// The commit it was made from, once made.
    pub base_commit: Option<String>,
    pub state: WorktreeState,
    /// Commits on its branch not on the base, and on the base not on its branch.
    pub ahead: u32,
    pub behind: u32,
    /// Files it changed since it left the base, uncommitted changes included.
    pub changed: Vec<String>,
    /// `BOSUN_PORT_BASE`: the first of the ports its steps may use.
    pub port_base: u32,
    /// Other tasks in flight changing some of the same files.
    #[serde(default)]
    pub collides: Vec<Collision>,
    /// The files the last merge conflicted in.
    #[serde(default)]
    pub conflicts: Vec<String>,
    /// Why its setup, its merge or its removal failed, when one did.
    pub error: Option<String>,
}
