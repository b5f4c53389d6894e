//! A task in a worktree of its own (DESIGN.md §9): made (or found again) before the first
//! step, its changes noted after each step so collisions show while tasks run, and left for
//! review when the task ends — its uncommitted work committed to its branch, removed when it
//! changed nothing, and its merge decided by the policy or asked.
//!
//! The row is committed (`creating`) before git makes anything, and `active` only once the
//! worktree exists: a run that finds `creating` (the engine died half-way) clears whatever
//! was made and makes it again. A failure to make it, or of a setup step, removes what was
//! made and fails the task with the reason.

use std::path::PathBuf;

use super::{Run, RunContext};
use crate::definitions::workflow::WorktreePlan;
use crate::engine::landing::{self, Landing};
use crate::protocol::{EngineEvent, TaskId, TaskStatus, WorktreeState};
use crate::store::worktrees::{WorktreeOp, WorktreeRecord, read};
use crate::store::{StoreError, TaskRecord, WriteOp};
use crate::time::now_rfc3339;

/// Where a task in a worktree runs.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    /// The task whose worktree it is (the task itself, or the one it adopted).
    pub owner: TaskId,
    /// The worktree: a checkout of the whole repository.
    pub path: PathBuf,
    /// Where the task's steps run: the project's place in that checkout (the worktree itself,
    /// unless the project is a subdirectory of its repository).
    pub root: PathBuf,
    pub branch: String,
    pub port_base: u32,
}

/// Makes (or finds again) the worktree `plan` asks for: `Ok(Err(reason))` when it cannot be.
pub(crate) async fn enter(
    ctx: &RunContext,
    task: &TaskRecord,
    plan: &WorktreePlan,
) -> Result<Result<Placed, String>, StoreError> {
    let owner = plan
        .adopt
        .clone()
        .map(TaskId)
        .unwrap_or_else(|| task.id.clone());
    let reader = &ctx.store.reader;
    let mut row = read::get(reader, &owner).await?;
    if row.is_none() {
        let settings = ctx.settings.current();
        let path = ctx.paths.worktree(owner.as_str());
        ctx.write(vec![WriteOp::Worktree(WorktreeOp::Record {
            task_id: owner.clone(),
            path: path.display().to_string(),
            branch: settings.worktree.branch(owner.as_str()),
            port_start: u32::from(settings.worktree.port_base),
            ports_per_task: u32::from(settings.worktree.ports_per_task),
            at: now_rfc3339(),
        })])
        .await?;
        row = read::get(reader, &owner).await?;
    }
    let Some(row) = row else {
        return Err(StoreError::Corrupt(format!(
            "the worktree of task {owner} was recorded but cannot be read back"
        )));
    };
    let path = PathBuf::from(&row.path);
    let placed = Placed {
        owner: owner.clone(),
        root: path.join(project_in_repository(&ctx.paths.root).await),
        path,
        branch: row.branch.clone(),
        port_base: row.port_base,
    };
    let landing = Landing::new(&ctx.store, &ctx.paths);
    match row.state {
        WorktreeState::Creating => match make(ctx, &row, plan.base.as_deref()).await {
            Ok(()) => Ok(Ok(placed)),
            Err(reason) => {
                let removed = landing
                    .remove(&row, WorktreeState::Removed, Some(reason.clone()))
                    .await?;
                Ok(Err(match removed {
                    Ok(()) => reason,
                    Err(e) => format!("{reason}; what was made could not be removed: {e}"),
                }))
            }
        },
        WorktreeState::Active if placed.path.is_dir() => Ok(Ok(placed)),
        WorktreeState::Ready | WorktreeState::Conflicted if plan.adopt.is_some() => {
            landing
                .set_state(
                    &owner,
                    WorktreeState::Active,
                    &[WorktreeState::Ready, WorktreeState::Conflicted],
                    None,
                )
                .await?;
            Ok(Ok(placed))
        }
        state => Ok(Err(format!(
            "its worktree {} is {state}{}",
            row.path,
            if placed.path.is_dir() {
                ""
            } else {
                " and no longer on disk"
            }
        ))),
    }
}

/// Where the project is in its repository: `app/` for a project at `<repo>/app`, empty
/// for a project at the top of its checkout. Blocking.
fn within(project: &std::path::Path) -> PathBuf {
    let canonical =
        |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    match crate::worktree::repo_root(project) {
        Ok(Some(top)) => canonical(project)
            .strip_prefix(canonical(&top))
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default(),
        _ => PathBuf::new(),
    }
}

async fn project_in_repository(project: &std::path::Path) -> PathBuf {
    let project = project.to_path_buf();
    tokio::task::spawn_blocking(move || within(&project))
        .await
        .unwrap_or_default()
}

/// Clears whatever a cut-off attempt left, then makes the worktree and copies its included
/// files; commits `active` with what it was made from.
async fn make(ctx: &RunContext, row: &WorktreeRecord, base: Option<&str>) -> Result<(), String> {
    ctx.paths
        .ignore_worktrees()
        .map_err(|e| format!("cannot add `worktrees/` to .bosun/.gitignore: {e}"))?;
    let root = ctx.paths.root.clone();
    let path = PathBuf::from(&row.path);
    let branch = row.branch.clone();
    let base = base.map(str::to_string);
    let use_spare = ctx.settings.current().worktree.spare;
    let spare = ctx.paths.spare_worktree();
    let (made, taken) = landing::git_worktrees(&ctx.paths, move || {
        crate::worktree::remove(&root, &path, Some(&branch))?;
        let base = crate::worktree::resolve_base(&root, base.as_deref())?;
        let taken = use_spare && landing::spare::take(&root, &spare, &path, &branch, &base.commit);
        if !taken {
            crate::worktree::create(&root, &path, &branch, &base.commit)?;
        }
        // `.worktreeinclude` is the project's, and so are the paths it names.
        let project_in_worktree = path.join(within(&root));
        crate::worktree::copy_included(&root, &project_in_worktree)?;
        Ok((base, taken))
    })
    .await
    .map_err(|e| format!("cannot make its worktree: {e}"))?;
    landing::spare::refill(&ctx.paths, use_spare);
    ctx.write(vec![
        WriteOp::Worktree(WorktreeOp::Made {
            task_id: row.task_id.clone(),
            base: made.branch.clone(),
            base_commit: made.commit.clone(),
            at: now_rfc3339(),
        }),
        WriteOp::Event(EngineEvent::WorktreeChanged {
            task_id: row.task_id.clone(),
            state: WorktreeState::Active,
            note: Some(format!(
                "worktree {} on branch {} from {}{}",
                row.path,
                row.branch,
                made.branch.as_deref().unwrap_or(&made.commit),
                if taken {
                    " (the spare, made ahead)"
                } else {
                    ""
                }
            )),
        }),
    ])
    .await
    .map_err(|e| e.to_string())
}

impl Run<'_> {
    /// Notes what the task's worktree changed so far, so other tasks see a collision while
    /// both run. A git failure here is logged, not fatal: the next step notes again.
    pub(crate) async fn note_changes(&self) -> Result<(), StoreError> {
        let Some(placed) = &self.placed else {
            return Ok(());
        };
        let landing = Landing::new(&self.ctx.store, &self.ctx.paths);
        if let Err(e) = landing.note_changes(&placed.owner).await? {
            tracing::warn!(task = %self.task.id, error = %e, "cannot read what the worktree changed");
        }
        Ok(())
    }

    /// After the task ended (`status`): its work committed on its branch, then left for review,
    /// removed when it changed nothing, and — when it succeeded — its merge decided.
    pub(crate) async fn leave_worktree(
        &self,
        status: TaskStatus,
        setup_failed: Option<String>,
    ) -> Result<(), StoreError> {
        let Some(placed) = &self.placed else {
            return Ok(());
        };
        let landing = Landing::new(&self.ctx.store, &self.ctx.paths);
        let Some(row) = read::get(&self.ctx.store.reader, &placed.owner).await? else {
            return Ok(());
        };
        if let Some(reason) = setup_failed {
            if let Err(e) = landing
                .remove(&row, WorktreeState::Removed, Some(reason))
                .await?
            {
                tracing::warn!(task = %self.task.id, error = %e, "cannot remove the worktree of a failed setup");
            }
            return Ok(());
        }
        let policy = self.ctx.policy.current(&self.ctx.problems);
        let settings = self.ctx.settings.current();
        let ended = landing::Ended {
            description: &self.task.description,
            workflow: &self.plan.workflow.name,
            succeeded: status == TaskStatus::Succeeded,
        };
        landing
            .leave(&row, ended, &policy, &settings.escalation)
            .await
    }
}
