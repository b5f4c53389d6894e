//! The durable side of worktree isolation (DESIGN.md §9): one row per worktree task and the
//! queue its branch lands through.
//!
//! Invariants: a worktree's row is committed (state `creating`) before git is asked to make
//! it, so a restart after `kill -9` knows of every worktree that may exist; a row in a gone
//! state (`merged`, `discarded`, `removed`) names no checkout or branch. Merges into one base
//! run one at a time, in the order asked: a merge is claimed only when it is the oldest queued
//! for its base and none of that base's is running. A running merge records the commit its
//! base moves to before the base moves, so a merge cut off can be finished or undone.

mod ops;
pub mod read;

use crate::protocol::{MergeStrategy, TaskId, WorktreeState};

pub use ops::WorktreeOp;

/// A worktree task's row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorktreeRecord {
    pub task_id: TaskId,
    pub path: String,
    pub branch: String,
    pub base: Option<String>,
    pub base_commit: Option<String>,
    pub state: WorktreeState,
    pub port_base: u32,
    pub changed: Vec<String>,
    pub ahead: u32,
    pub behind: u32,
    pub conflicts: Vec<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Where a merge request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeStatus {
    Queued,
    Running,
    Merged,
    Conflict,
    Failed,
}

impl MergeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MergeStatus::Queued => "queued",
            MergeStatus::Running => "running",
            MergeStatus::Merged => "merged",
            MergeStatus::Conflict => "conflict",
            MergeStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<MergeStatus> {
        [
            MergeStatus::Queued,
            MergeStatus::Running,
            MergeStatus::Merged,
            MergeStatus::Conflict,
            MergeStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        !matches!(self, MergeStatus::Queued | MergeStatus::Running)
    }
}

/// A merge request as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MergeRecord {
    pub id: i64,
    pub task_id: TaskId,
    pub into: String,
    pub strategy: MergeStrategy,
    pub status: MergeStatus,
    pub requested_by: String,
    pub holder: Option<String>,
    pub old_commit: Option<String>,
    pub new_commit: Option<String>,
    pub error: Option<String>,
    pub requested_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}
