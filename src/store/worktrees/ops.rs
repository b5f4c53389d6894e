//! Changes to worktree rows and the merge queue, applied by the writer inside a request's
//! transaction. The conditional ones (a state that must still be what the caller saw, a merge
//! that must be next in its queue) abort their request with a conflict when it is not.

use sqlx::SqliteConnection;

use super::MergeStatus;
use crate::protocol::{MergeStrategy, TaskId, WorktreeState};
use crate::store::StoreError;
use crate::store::write_ops::require_change;

/// The states that still hold a checkout, a branch and a block of ports.
const LIVE: &str = "state NOT IN ('merged', 'discarded', 'removed')";

/// One change to a worktree or the merge queue.
#[derive(Debug, Clone)]
pub enum WorktreeOp {
    /// Records a worktree about to be made, with the lowest free block of ports; nothing when
    /// the task already has its row (a run after a restart).
    Record {
        task_id: TaskId,
        path: String,
        branch: String,
        port_start: u32,
        ports_per_task: u32,
        at: String,
    },
    /// What it was made from, once git made it.
    Made {
        task_id: TaskId,
        base: Option<String>,
        base_commit: String,
        at: String,
    },
    /// A new state; conflicts unless the row is in one of `from` (any, when empty).
    SetState {
        task_id: TaskId,
        state: WorktreeState,
        from: Vec<WorktreeState>,
        error: Option<String>,
        at: String,
    },
    /// What it changed so far.
    Changes {
        task_id: TaskId,
        files: Vec<String>,
        ahead: u32,
        behind: u32,
        at: String,
    },
    /// Files a merge conflicted in (cleared with an empty list).
    Conflicts { task_id: TaskId, files: Vec<String> },
    /// Queues a merge; conflicts when the task already has one queued or running.
    QueueMerge {
        task_id: TaskId,
        into: String,
        strategy: MergeStrategy,
        requested_by: String,
        at: String,
    },
    /// Takes merge `id` for `holder`; conflicts unless it is the oldest queued merge into its
    /// base and no merge into that base runs.
    ClaimMerge { id: i64, holder: String, at: String },
    /// The commit the base is about to move to, recorded before it moves.
    MergeTarget {
        id: i64,
        old_commit: String,
        new_commit: String,
    },
    /// Ends a running merge (or puts a cut-off one back in the queue, with `Queued`).
    FinishMerge {
        id: i64,
        status: MergeStatus,
        error: Option<String>,
        at: String,
    },
}

fn json(files: &[String]) -> String {
    serde_json::to_string(files).unwrap_or_else(|_| "[]".into())
}

impl WorktreeOp {
    pub(crate) async fn apply(&self, conn: &mut SqliteConnection) -> Result<u64, StoreError> {
        let affected = match self {
            WorktreeOp::Record {
                task_id,
                path,
                branch,
                port_start,
                ports_per_task,
                at,
            } => {
                let sql = format!(
                    "INSERT INTO worktrees (task_id, path, branch, state, port_slot, port_base, \
                     created_at, updated_at) \
                     SELECT ?, ?, ?, 'creating', slot, ? + slot * ?, ?, ? FROM ( \
                       SELECT MIN(s) AS slot FROM ( \
                         SELECT 0 AS s UNION ALL SELECT port_slot + 1 FROM worktrees WHERE {LIVE}) \
                       WHERE s NOT IN (SELECT port_slot FROM worktrees WHERE {LIVE})) \
                     WHERE true ON CONFLICT (task_id) DO NOTHING"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(task_id.as_str())
                    .bind(path)
                    .bind(branch)
                    .bind(i64::from(*port_start))
                    .bind(i64::from(*ports_per_task))
                    .bind(at)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
            }
            WorktreeOp::Made {
                task_id,
                base,
                base_commit,
                at,
            } => sqlx::query(
                "UPDATE worktrees SET base = ?, base_commit = ?, state = 'active', \
                 updated_at = ? WHERE task_id = ?",
            )
            .bind(base)
            .bind(base_commit)
            .bind(at)
            .bind(task_id.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WorktreeOp::SetState {
                task_id,
                state,
                from,
                error,
                at,
            } => {
                let guard = if from.is_empty() {
                    String::new()
                } else {
                    let states: Vec<String> =
                        from.iter().map(|s| format!("'{}'", s.as_str())).collect();
                    format!(" AND state IN ({})", states.join(", "))
                };
                let sql = format!(
                    "UPDATE worktrees SET state = ?, error = ?, updated_at = ? \
                     WHERE task_id = ?{guard}"
                );
                let affected = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(state.as_str())
                    .bind(error)
                    .bind(at)
                    .bind(task_id.as_str())
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                require_change(affected, || {
                    format!("the worktree of task {task_id} cannot become {state} from where it is")
                })?
            }
            WorktreeOp::Changes {
                task_id,
                files,
                ahead,
                behind,
                at,
            } => sqlx::query(
                "UPDATE worktrees SET changed = ?, ahead = ?, behind = ?, updated_at = ? \
                 WHERE task_id = ?",
            )
            .bind(json(files))
            .bind(i64::from(*ahead))
            .bind(i64::from(*behind))
            .bind(at)
            .bind(task_id.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WorktreeOp::Conflicts { task_id, files } => {
                sqlx::query("UPDATE worktrees SET conflicts = ? WHERE task_id = ?")
                    .bind(json(files))
                    .bind(task_id.as_str())
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
            }
            WorktreeOp::QueueMerge {
                task_id,
                into,
                strategy,
                requested_by,
                at,
            } => {
                let result = sqlx::query(
                    "INSERT INTO merges (task_id, into_branch, strategy, status, requested_by, \
                     requested_at) VALUES (?, ?, ?, 'queued', ?, ?)",
                )
                .bind(task_id.as_str())
                .bind(into)
                .bind(strategy.as_str())
                .bind(requested_by)
                .bind(at)
                .execute(&mut *conn)
                .await;
                match result {
                    Ok(done) => done.rows_affected(),
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        return Err(StoreError::Conflict(format!(
                            "task {task_id} is already being merged"
                        )));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            WorktreeOp::ClaimMerge { id, holder, at } => {
                let affected = sqlx::query(
                    "UPDATE merges SET status = 'running', holder = ?, started_at = ? \
                     WHERE id = ? AND status = 'queued' \
                     AND id = (SELECT MIN(q.id) FROM merges q \
                               WHERE q.into_branch = merges.into_branch AND q.status = 'queued') \
                     AND NOT EXISTS (SELECT 1 FROM merges r \
                               WHERE r.into_branch = merges.into_branch AND r.status = 'running')",
                )
                .bind(holder)
                .bind(at)
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                require_change(affected, || format!("merge {id} is not next in its queue"))?
            }
            WorktreeOp::MergeTarget {
                id,
                old_commit,
                new_commit,
            } => sqlx::query("UPDATE merges SET old_commit = ?, new_commit = ? WHERE id = ?")
                .bind(old_commit)
                .bind(new_commit)
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected(),
            WorktreeOp::FinishMerge {
                id,
                status,
                error,
                at,
            } => {
                let finished = status.is_finished().then_some(at.as_str());
                let affected = sqlx::query(
                    "UPDATE merges SET status = ?, error = ?, finished_at = ?, \
                     holder = CASE WHEN ? = 'queued' THEN NULL ELSE holder END \
                     WHERE id = ? AND status IN ('queued', 'running')",
                )
                .bind(status.as_str())
                .bind(error)
                .bind(finished)
                .bind(status.as_str())
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                require_change(affected, || format!("merge {id} has already ended"))?
            }
        };
        Ok(affected)
    }
}
