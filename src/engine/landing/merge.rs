//! The merge queue: a merge is queued in the store, then whoever waits on it (the CLI, the
//! interface, the engine) drives its base's queue — recovering merges whose process died,
//! claiming the oldest queued one when none runs, and running it — until its own has ended.

use std::path::PathBuf;
use std::time::Duration;

use super::{Decided, LandError, Landing, git, git_worktrees};
use crate::config::EscalationSettings;
use crate::protocol::{EscalationId, MergeStrategy, TaskId, WorktreeState};
use crate::store::escalations::EscalationOp;
use crate::store::worktrees::{MergeRecord, MergeStatus, WorktreeOp, read};
use crate::store::{StoreError, WriteOp};
use crate::time::now_rfc3339;
use crate::worktree::{Prepared, Strategy};

/// How often a merge waiting behind another looks again.
const QUEUE_POLL: Duration = Duration::from_millis(100);

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The branch is on its base (`commit` is where the base now points; `None` when there
    /// was nothing to merge), and its worktree and branch are gone.
    Merged {
        into: String,
        commit: Option<String>,
    },
    /// Nothing was merged: the task is parked and a question asks what to do.
    Conflict {
        files: Vec<String>,
        escalation: Option<EscalationId>,
    },
}

/// This process, as a merge's holder: its PID and start time (a reused PID is not it).
pub(super) fn holder() -> String {
    let pid = std::process::id();
    let start = crate::engine::process::process_start_time(pid).unwrap_or(0);
    format!("{pid}:{start}")
}

fn strategy(s: MergeStrategy) -> Strategy {
    match s {
        MergeStrategy::Merge => Strategy::Merge,
        MergeStrategy::Squash => Strategy::Squash,
        MergeStrategy::Rebase => Strategy::Rebase,
    }
}

/// The first line of a commit message made from a task's description.
pub(super) fn subject(description: &str) -> String {
    let line = description.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(72) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

impl Landing<'_> {
    /// Merges task `id`'s branch into its base, waiting its turn in the base's queue.
    /// `decision` is recorded with the request; `None` when it already is (an answer).
    pub async fn merge(
        &self,
        id: &TaskId,
        how: MergeStrategy,
        decision: Option<Decided<'_>>,
        requested_by: &str,
        limits: &EscalationSettings,
    ) -> Result<MergeOutcome, LandError> {
        let row = self.worktree_of(id).await?;
        match row.state {
            WorktreeState::Ready | WorktreeState::Conflicted => {}
            WorktreeState::Merging => {
                // Its merge is queued already (asked from elsewhere): wait on that one.
                if let Some(merge) = read::latest_merge(&self.store.reader, id).await? {
                    return self.drive(merge, limits).await;
                }
            }
            WorktreeState::Creating | WorktreeState::Active => {
                return Err(LandError::Invalid(format!(
                    "task {id} is still running in its worktree: wait for it to end, or cancel it"
                )));
            }
            gone => {
                return Err(LandError::Invalid(format!(
                    "task {id}'s worktree was already {gone}"
                )));
            }
        }
        let into = row.base.clone().ok_or_else(|| {
            LandError::Invalid(format!(
                "task {id}'s worktree was made from a commit no branch names: merge its branch `{}` by hand",
                row.branch
            ))
        })?;
        let queue = vec![
            WriteOp::Worktree(WorktreeOp::QueueMerge {
                task_id: id.clone(),
                into,
                strategy: how,
                requested_by: requested_by.to_string(),
                at: now_rfc3339(),
            }),
            WriteOp::Worktree(WorktreeOp::SetState {
                task_id: id.clone(),
                state: WorktreeState::Merging,
                from: vec![WorktreeState::Ready, WorktreeState::Conflicted],
                error: None,
                at: now_rfc3339(),
            }),
            WriteOp::Worktree(WorktreeOp::Conflicts {
                task_id: id.clone(),
                files: Vec::new(),
            }),
            // A question about this branch is settled by this decision.
            WriteOp::Escalation(EscalationOp::Withdraw {
                task_id: id.clone(),
                step_id: None,
                at: now_rfc3339(),
            }),
        ];
        let queued = match decision {
            Some(decision) => self.record_decision(id, decision, queue).await,
            None => self.store.writer.write(queue).await,
        };
        match queued {
            Ok(()) => {}
            Err(StoreError::Conflict(m)) => return Err(LandError::Invalid(m)),
            Err(e) => return Err(e.into()),
        }
        let merge = read::latest_merge(&self.store.reader, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("the merge of {id} vanished")))?;
        self.drive(merge, limits).await
    }

    /// Runs `merge`'s base's queue until `merge` has ended, and says how it ended.
    pub(super) async fn drive(
        &self,
        merge: i64,
        limits: &EscalationSettings,
    ) -> Result<MergeOutcome, LandError> {
        let me = holder();
        loop {
            let Some(mine) = read::merge_by_id(&self.store.reader, merge).await? else {
                return Err(StoreError::Corrupt(format!("merge {merge} vanished")).into());
            };
            if mine.status.is_finished() {
                return self.outcome(&mine).await;
            }
            let queue: Vec<MergeRecord> = read::open_merges(&self.store.reader)
                .await?
                .into_iter()
                .filter(|m| m.into == mine.into)
                .collect();
            if let Some(running) = queue.iter().find(|m| m.status == MergeStatus::Running) {
                if !self.recover_merge(running).await? {
                    tokio::time::sleep(QUEUE_POLL).await;
                }
                continue;
            }
            let Some(next) = queue.first() else {
                // Ended between the two reads: the next look says how.
                tokio::time::sleep(QUEUE_POLL).await;
                continue;
            };
            let claim = WriteOp::Worktree(WorktreeOp::ClaimMerge {
                id: next.id,
                holder: me.clone(),
                at: now_rfc3339(),
            });
            match self.store.writer.write(vec![claim]).await {
                Ok(()) => self.run_merge(next, limits).await?,
                // Another process took it first: look again.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// How an ended merge ended, for the one who asked.
    async fn outcome(&self, merge: &MergeRecord) -> Result<MergeOutcome, LandError> {
        match merge.status {
            MergeStatus::Merged => Ok(MergeOutcome::Merged {
                into: merge.into.clone(),
                commit: merge.new_commit.clone(),
            }),
            MergeStatus::Conflict => {
                let files = read::get(&self.store.reader, &merge.task_id)
                    .await?
                    .map(|w| w.conflicts)
                    .unwrap_or_default();
                let escalation = crate::store::escalations::read::open_for_task(
                    &self.store.reader,
                    &merge.task_id,
                )
                .await?
                .map(|e| e.id);
                Ok(MergeOutcome::Conflict { files, escalation })
            }
            _ => Err(LandError::Failed(merge.error.clone().unwrap_or_else(
                || format!("the merge of task {} failed", merge.task_id),
            ))),
        }
    }

    /// Runs a claimed merge to its end: conflict, failure, or the base moved and the
    /// worktree gone.
    async fn run_merge(
        &self,
        merge: &MergeRecord,
        limits: &EscalationSettings,
    ) -> Result<(), LandError> {
        let row = self.worktree_of(&merge.task_id).await?;
        let description = crate::store::read::get_task_record(&self.store.reader, &merge.task_id)
            .await?
            .map(|t| t.description)
            .unwrap_or_default();
        let id = merge.task_id.clone();
        let message = match merge.strategy {
            MergeStrategy::Squash => format!(
                "{}\n\nSquashed from {} (Bosun task {id}).",
                subject(&description),
                row.branch
            ),
            _ => format!(
                "Merge {}: {}\n\nBosun task {id}.",
                row.branch,
                subject(&description)
            ),
        };
        let snapshot = format!(
            "{}\n\nLeft uncommitted in Bosun task {id}'s worktree; committed before its merge.",
            subject(&description)
        );
        let (root, path) = (self.paths.root.clone(), PathBuf::from(&row.path));
        let (branch, into, how) = (
            row.branch.clone(),
            merge.into.clone(),
            strategy(merge.strategy),
        );
        let prepared = git(move || {
            crate::worktree::abort_in_progress(&path)?;
            crate::worktree::commit_all(&path, &snapshot)?;
            crate::worktree::prepare_merge(&root, &path, &branch, &into, how, &message)
        })
        .await;
        match prepared {
            Err(e) => self.merge_failed(merge, e.to_string()).await,
            Ok(Prepared::Conflict { files }) => self.conflicted(merge, &row, files, limits).await,
            Ok(Prepared::UpToDate) => self.merged(merge, None).await,
            Ok(Prepared::Ready {
                new_commit,
                old_commit,
            }) => {
                self.store
                    .writer
                    .write(vec![WriteOp::Worktree(WorktreeOp::MergeTarget {
                        id: merge.id,
                        old_commit: old_commit.clone(),
                        new_commit: new_commit.clone(),
                    })])
                    .await?;
                let (root, into, new) = (
                    self.paths.root.clone(),
                    merge.into.clone(),
                    new_commit.clone(),
                );
                let landed = git_worktrees(self.paths, move || {
                    crate::worktree::land(&root, &into, &new, &old_commit)
                });
                match landed.await {
                    Ok(_) => self.merged(merge, Some(new_commit)).await,
                    Err(e) => self.merge_failed(merge, e.to_string()).await,
                }
            }
        }
    }

    /// The base has the branch: the worktree and branch go, and the merge is recorded done.
    pub(super) async fn merged(
        &self,
        merge: &MergeRecord,
        commit: Option<String>,
    ) -> Result<(), LandError> {
        let row = self.worktree_of(&merge.task_id).await?;
        let note = match &commit {
            Some(c) => format!("merged into {} as {}", merge.into, &c[..c.len().min(12)]),
            None => format!("{} already had everything it changed", merge.into),
        };
        self.store
            .writer
            .write(vec![WriteOp::Worktree(WorktreeOp::FinishMerge {
                id: merge.id,
                status: MergeStatus::Merged,
                error: None,
                at: now_rfc3339(),
            })])
            .await?;
        if let Err(e) = self.remove(&row, WorktreeState::Merged, Some(note)).await? {
            // The branch landed all the same; the next start tidies what is left.
            tracing::warn!(task = %merge.task_id, error = %e, "merged, but the worktree could not be removed");
            self.set_state(&merge.task_id, WorktreeState::Merged, &[], Some(e))
                .await?;
        }
        // The base moved: the others on it are that much further behind.
        for other in read::live(&self.store.reader).await? {
            if other.base.as_deref() == Some(merge.into.as_str())
                && let Err(e) = self.note_changes(&other.task_id).await?
            {
                tracing::warn!(task = %other.task_id, error = %e, "cannot read what the worktree changed");
            }
        }
        Ok(())
    }

    async fn merge_failed(&self, merge: &MergeRecord, error: String) -> Result<(), LandError> {
        let error = format!("nothing was merged: {error}");
        self.store
            .writer
            .write(vec![
                WriteOp::Worktree(WorktreeOp::FinishMerge {
                    id: merge.id,
                    status: MergeStatus::Failed,
                    error: Some(error.clone()),
                    at: now_rfc3339(),
                }),
                WriteOp::Worktree(WorktreeOp::SetState {
                    task_id: merge.task_id.clone(),
                    state: WorktreeState::Ready,
                    from: vec![WorktreeState::Merging],
                    error: Some(error.clone()),
                    at: now_rfc3339(),
                }),
                WriteOp::Event(crate::protocol::EngineEvent::WorktreeChanged {
                    task_id: merge.task_id.clone(),
                    state: WorktreeState::Ready,
                    note: Some(error),
                }),
            ])
            .await?;
        Ok(())
    }
}
