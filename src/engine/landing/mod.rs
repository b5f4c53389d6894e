//! Landing a worktree task's branch (DESIGN.md §9): its diff, its merge through a queue, its
//! discard, and the questions asked about it. Every front end comes through here — `bosun
//! diff | merge | discard`, an answer in the inbox, the interface, and the runner when a task
//! ends — in whichever process it runs: the merge queue is in the store, so merges into one
//! base run one at a time across processes.
//!
//! A merge is a decision like any other: recorded in the ledger and the audit log, by the user
//! or by the rule that took it. Nothing is half-merged: the result is computed without touching
//! a checkout ([`crate::worktree::prepare_merge`]); a conflict moves nothing, parks the task
//! (`conflicted`) and asks what to do; the base moves in one step once the commit it moves to
//! is recorded, so a merge cut off by `kill -9` is finished or run again, never guessed at.

mod act;
mod handle;
mod leave;
mod merge;
mod recover;
pub(crate) mod spare;

use std::path::PathBuf;

use crate::config::ProjectPaths;
use crate::protocol::{DecisionKind, EngineEvent, Risk, TaskId, WorktreeState, new_decision_id};
use crate::store::audit::AuditLog;
use crate::store::worktrees::{WorktreeOp, WorktreeRecord, read};
use crate::store::{Store, StoreError, WriteOp};
use crate::time::now_rfc3339;
use crate::worktree::GitError;

pub use act::{
    AFTER_CONFLICT, AFTER_SUCCESS, act_on_answer, act_on_answers, describe, rebase_request,
};
pub(crate) use leave::Ended;
pub use merge::MergeOutcome;
pub use recover::recover;

/// Why a landing action was not done.
#[derive(Debug, thiserror::Error)]
pub enum LandError {
    /// The request does not fit the task (no worktree, still running, already merged): the
    /// user's to fix, exit code 2.
    #[error("{0}")]
    Invalid(String),
    /// git refused or failed (a dirty checkout in the way, a moved base): exit code 1.
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs a git operation off the async threads.
pub(crate) async fn git<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, GitError> + Send + 'static,
) -> Result<T, GitError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(GitError::Other(format!("a git operation stopped: {e}"))),
    }
}

/// Runs a git operation that lists or changes the repository's worktrees, one at a time
/// across threads and processes (an exclusive `flock` on `.bosun/state/worktrees.lock`): git
/// writes a new worktree's records file by file, and a `git worktree` command that reads them
/// half-written fails.
pub(crate) async fn git_worktrees<T: Send + 'static>(
    paths: &ProjectPaths,
    f: impl FnOnce() -> Result<T, GitError> + Send + 'static,
) -> Result<T, GitError> {
    let lock = paths.state_dir().join("worktrees.lock");
    git(move || {
        let _held = lock_worktrees(&lock)?;
        f()
    })
    .await
}

/// Takes the worktrees lock (blocking); released when the returned guard drops.
pub(crate) fn lock_worktrees(
    path: &std::path::Path,
) -> Result<nix::fcntl::Flock<std::fs::File>, GitError> {
    let failed =
        |e: std::io::Error| GitError::Other(format!("cannot lock {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        crate::config::private::create_private_dir(dir).map_err(failed)?;
    }
    let file = crate::config::private::private_file()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(failed)?;
    crate::config::private::make_private(&file).map_err(failed)?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, errno)| failed(std::io::Error::from(errno)))
}

/// The project's landing desk: its store and paths.
pub struct Landing<'a> {
    pub store: &'a Store,
    pub paths: &'a ProjectPaths,
}

/// The diff of a task's worktree against its base.
#[derive(Debug, Clone)]
pub struct TaskDiff {
    pub worktree: WorktreeRecord,
    pub stat: String,
    pub patch: String,
}

impl<'a> Landing<'a> {
    pub fn new(store: &'a Store, paths: &'a ProjectPaths) -> Landing<'a> {
        Landing { store, paths }
    }

    /// Task `id`'s worktree row, or why it has none a user can act on.
    pub async fn worktree_of(&self, id: &TaskId) -> Result<WorktreeRecord, LandError> {
        read::get(&self.store.reader, id).await?.ok_or_else(|| {
            LandError::Invalid(format!(
                "task {id} has no worktree: it ran in the project's checkout (submit with --isolation worktree, or `isolation: worktree` in its workflow)"
            ))
        })
    }

    /// Commits a new state of `id`'s worktree, when it is in one of `from` (any, when empty).
    pub async fn set_state(
        &self,
        id: &TaskId,
        state: WorktreeState,
        from: &[WorktreeState],
        error: Option<String>,
    ) -> Result<(), StoreError> {
        self.store
            .writer
            .write(vec![
                WriteOp::Worktree(WorktreeOp::SetState {
                    task_id: id.clone(),
                    state,
                    from: from.to_vec(),
                    error: error.clone(),
                    at: now_rfc3339(),
                }),
                WriteOp::Event(EngineEvent::WorktreeChanged {
                    task_id: id.clone(),
                    state,
                    note: error,
                }),
            ])
            .await
    }

    /// Removes `row`'s worktree and branch, then records it `state` (merged, discarded,
    /// removed). `Ok(Err(_))`: git could not remove it; the row keeps its state, with why.
    pub async fn remove(
        &self,
        row: &WorktreeRecord,
        state: WorktreeState,
        why: Option<String>,
    ) -> Result<Result<(), String>, StoreError> {
        let root = self.paths.root.clone();
        let path = PathBuf::from(&row.path);
        let branch = row.branch.clone();
        let removed = git_worktrees(self.paths, move || {
            crate::worktree::remove(&root, &path, Some(&branch))
        });
        match removed.await {
            Ok(()) => {
                self.set_state(&row.task_id, state, &[], why).await?;
                Ok(Ok(()))
            }
            Err(e) => {
                let message = format!("cannot remove worktree {}: {e}", row.path);
                self.set_state(&row.task_id, row.state, &[], Some(message.clone()))
                    .await?;
                Ok(Err(message))
            }
        }
    }

    /// Notes what `id`'s worktree changed against its base (files, ahead, behind).
    pub async fn note_changes(&self, id: &TaskId) -> Result<Result<(), GitError>, StoreError> {
        let Some(row) = read::get(&self.store.reader, id).await? else {
            return Ok(Ok(()));
        };
        let Some(base) = row.base.clone().or(row.base_commit.clone()) else {
            return Ok(Ok(()));
        };
        let path = PathBuf::from(&row.path);
        let changes = match git(move || crate::worktree::changes(&path, &base)).await {
            Ok(changes) => changes,
            Err(e) => return Ok(Err(e)),
        };
        self.store
            .writer
            .write(vec![WriteOp::Worktree(WorktreeOp::Changes {
                task_id: id.clone(),
                files: changes.files,
                ahead: changes.ahead,
                behind: changes.behind,
                at: now_rfc3339(),
            })])
            .await?;
        Ok(Ok(()))
    }

    /// The stat and patch of task `id`'s changes since it left its base, uncommitted ones
    /// included.
    pub async fn diff(&self, id: &TaskId, color: bool) -> Result<TaskDiff, LandError> {
        let row = self.worktree_of(id).await?;
        if row.state.is_gone() {
            return Err(LandError::Invalid(format!(
                "task {id}'s worktree was {}: there is nothing left to diff",
                row.state
            )));
        }
        let Some(base) = row.base.clone().or(row.base_commit.clone()) else {
            return Err(LandError::Invalid(format!(
                "task {id}'s worktree is still being made"
            )));
        };
        let path = PathBuf::from(&row.path);
        let diff = git(move || crate::worktree::diff(&path, &base, color))
            .await
            .map_err(|e| LandError::Failed(e.to_string()))?;
        Ok(TaskDiff {
            worktree: row,
            stat: diff.stat,
            patch: diff.patch,
        })
    }

    /// Merges task `id`'s branch as the user asked through `via` (`` `bosun merge` ``, the
    /// interface): the decision is the user's, recorded as such.
    pub async fn merge_as_user(
        &self,
        id: &TaskId,
        how: crate::protocol::MergeStrategy,
        via: &str,
        limits: &crate::config::EscalationSettings,
    ) -> Result<MergeOutcome, LandError> {
        let question = format!("Merge task {id}'s branch into its base ({})?", how.as_str());
        let options = vec!["merge".to_string()];
        let decision = Decided {
            question: &question,
            options: &options,
            choice: "merge",
            by: "user",
            reason: via,
        };
        self.merge(id, how, Some(decision), "user", limits).await
    }

    /// Discards task `id`'s branch as the user asked through `via`.
    pub async fn discard_as_user(&self, id: &TaskId, via: &str) -> Result<(), LandError> {
        let question = format!("Discard task {id}'s branch?");
        let options = vec!["discard".to_string()];
        let decision = Decided {
            question: &question,
            options: &options,
            choice: "discard",
            by: "user",
            reason: via,
        };
        self.discard(id, Some(decision)).await
    }

    /// Records a decision about a task's branch in the ledger and the audit log.
    pub(crate) async fn record_decision(
        &self,
        id: &TaskId,
        decision: Decided<'_>,
        extra: Vec<WriteOp>,
    ) -> Result<(), StoreError> {
        let mut ops = vec![
            WriteOp::InsertDecision {
                kind: DecisionKind::Merge,
                id: new_decision_id(),
                task_id: id.clone(),
                step_id: None,
                question: decision.question.to_string(),
                options: decision.options.to_vec(),
                choice: decision.choice.to_string(),
                decided_by: decision.by.to_string(),
                reason: decision.reason.to_string(),
                risk: Some(Risk::High.as_str().into()),
                at: now_rfc3339(),
            },
            WriteOp::Event(EngineEvent::DecisionMade {
                task_id: id.clone(),
                step_id: None,
                choice: decision.choice.to_string(),
                decided_by: decision.by.to_string(),
            }),
        ];
        ops.extend(extra);
        self.store.writer.write(ops).await?;
        let entry = serde_json::json!({
            "kind": "decision",
            "task_id": id,
            "step_id": null,
            "question": decision.question,
            "choice": decision.choice,
            "decided_by": decision.by,
            "reason": decision.reason,
        });
        if let serde_json::Value::Object(map) = entry
            && let Err(e) = AuditLog::new(self.paths.audit_log()).append(&[map])
        {
            tracing::warn!(task = %id, error = %e, "the audit log could not be written");
        }
        Ok(())
    }
}

/// A decision about a branch, as the ledger records it.
#[derive(Debug, Clone, Copy)]
pub struct Decided<'a> {
    pub question: &'a str,
    pub options: &'a [String],
    pub choice: &'a str,
    pub by: &'a str,
    pub reason: &'a str,
}
