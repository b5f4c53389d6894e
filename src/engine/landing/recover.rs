//! Putting worktrees right after a crash, at the engine's start and whenever a merge finds its
//! queue held by a dead process: nothing half-made stays, nothing stays registered in git that
//! Bosun does not know of, and a merge cut off is finished (its base already moved) or queued
//! again (it did not).

use std::path::{Path, PathBuf};

use super::{LandError, Landing, git, git_worktrees};
use crate::config::{ProjectPaths, Settings};
use crate::protocol::WorktreeState;
use crate::store::worktrees::{MergeRecord, MergeStatus, WorktreeOp, read};
use crate::store::{Store, StoreError, WriteOp};
use crate::time::now_rfc3339;

/// Whether the process a merge's `holder` names still runs.
fn alive(holder: &str) -> bool {
    let Some((pid, start)) = holder.split_once(':') else {
        return false;
    };
    match (pid.parse::<u32>(), start.parse::<u64>()) {
        (Ok(pid), Ok(start)) => crate::engine::process::live_process_start_time(pid) == Some(start),
        _ => false,
    }
}

impl Landing<'_> {
    /// A running merge whose process died: finished when its base already moved to the commit
    /// it recorded, else queued again. `false` when its process still runs.
    pub(super) async fn recover_merge(&self, merge: &MergeRecord) -> Result<bool, LandError> {
        if merge.holder.as_deref().is_some_and(alive) {
            return Ok(false);
        }
        if let Some(new) = &merge.new_commit {
            let (root, into) = (self.paths.root.clone(), merge.into.clone());
            let head = git(move || crate::worktree::branch_head(&root, &into))
                .await
                .map_err(|e| LandError::Failed(e.to_string()))?;
            if head.as_deref() == Some(new.as_str()) {
                self.merged(merge, Some(new.clone())).await?;
                return Ok(true);
            }
        }
        match self
            .store
            .writer
            .write(vec![WriteOp::Worktree(WorktreeOp::FinishMerge {
                id: merge.id,
                status: MergeStatus::Queued,
                error: None,
                at: now_rfc3339(),
            })])
            .await
        {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(true),
            Err(e) => Err(e.into()),
        }
    }
}

/// Tidies the project's worktrees at the engine's start (see the module doc); returns what it
/// did, in words, for the log.
pub async fn recover(
    store: &Store,
    paths: &ProjectPaths,
    settings: &Settings,
) -> Result<Vec<String>, StoreError> {
    let mut notes = Vec::new();
    let root = paths.root.clone();
    if !matches!(
        git(move || crate::worktree::repo_root(&root)).await,
        Ok(Some(_))
    ) {
        return Ok(notes);
    }
    let landing = Landing::new(store, paths);
    for row in read::live(&store.reader).await? {
        let task = crate::store::read::get_task_record(&store.reader, &row.task_id).await?;
        let ended = task.as_ref().is_none_or(|t| t.status.is_terminal());
        let adopted = adopted_by_live_task(store, &row.task_id).await?;
        if !ended || adopted {
            continue;
        }
        match row.state {
            // Its task ended before the worktree was made or left: made ones are kept for
            // review, half-made ones removed.
            WorktreeState::Creating => {
                if let Ok(Err(e)) = landing
                    .remove(
                        &row,
                        WorktreeState::Removed,
                        Some("its task ended before it was made".into()),
                    )
                    .await
                {
                    notes.push(e);
                }
                notes.push(format!("removed the half-made worktree of {}", row.task_id));
            }
            WorktreeState::Active => {
                let path = PathBuf::from(&row.path);
                let message = format!(
                    "The work of Bosun task {}, committed when the engine started again.",
                    row.task_id
                );
                if let Err(e) = git(move || {
                    crate::worktree::abort_in_progress(&path)?;
                    crate::worktree::commit_all(&path, &message)
                })
                .await
                {
                    notes.push(format!(
                        "cannot commit the worktree of {}: {e}",
                        row.task_id
                    ));
                }
                let _ = landing.note_changes(&row.task_id).await?;
                landing
                    .set_state(
                        &row.task_id,
                        WorktreeState::Ready,
                        &[WorktreeState::Active],
                        None,
                    )
                    .await?;
                notes.push(format!("{}'s worktree is ready for review", row.task_id));
            }
            _ => {}
        }
    }
    for merge in read::open_merges(&store.reader).await? {
        if merge.status == MergeStatus::Running
            && let Err(e) = landing.recover_merge(&merge).await
        {
            notes.push(format!(
                "cannot recover merge {} of {}: {e}",
                merge.id, merge.task_id
            ));
        }
    }
    notes.extend(forget_unknown(store, paths).await?);
    // A project whose tasks have used worktrees gets its spare back (made again when a crash
    // cut it off half-made).
    if settings.worktree.spare && read::any(&store.reader).await? {
        super::spare::refill(paths, true);
    }
    notes.extend(super::act_on_answers(paths, settings, store).await?);
    Ok(notes)
}

/// Whether a task still in flight works in `owner`'s worktree (an agent rebasing it).
async fn adopted_by_live_task(
    store: &Store,
    owner: &crate::protocol::TaskId,
) -> Result<bool, StoreError> {
    let mut open = crate::store::read::unfinished(&store.reader).await?;
    open.extend(crate::store::read::queued(&store.reader).await?);
    for task in open {
        let adopts = serde_json::from_str::<crate::definitions::workflow::Plan>(&task.plan)
            .ok()
            .and_then(|p| p.worktree)
            .and_then(|w| w.adopt);
        if adopts.as_deref() == Some(owner.as_str()) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Removes what git has registered under `.bosun/worktrees/` that no live row names, then
/// prunes git's records of worktrees whose directories are gone.
async fn forget_unknown(store: &Store, paths: &ProjectPaths) -> Result<Vec<String>, StoreError> {
    let live: Vec<PathBuf> = read::live(&store.reader)
        .await?
        .into_iter()
        .map(|r| PathBuf::from(r.path))
        .collect();
    let root = paths.root.clone();
    let dir = paths.worktrees_dir();
    let spare = paths.spare_worktree();
    let result = git_worktrees(paths, move || {
        let mut removed = Vec::new();
        crate::worktree::prune(&root)?;
        for wt in crate::worktree::registered(&root)? {
            let owned = live.iter().any(|l| same(l, &wt.path)) || same(&wt.path, &spare);
            if under(&wt.path, &dir) && !owned {
                crate::worktree::remove(&root, &wt.path, None)?;
                removed.push(format!(
                    "removed worktree {}, which no task owns",
                    wt.path.display()
                ));
            }
        }
        Ok(removed)
    })
    .await;
    Ok(result.unwrap_or_else(|e| vec![format!("cannot tidy the worktrees: {e}")]))
}

fn under(path: &Path, dir: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    path.starts_with(dir) || canon(path).starts_with(canon(dir))
}

fn same(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    a == b || canon(a) == canon(b)
}
