//! Queries on worktrees and the merge queue: one task's worktree, the ones still on disk, the
//! other tasks in flight that change the same files, and merges by id, by state or by task.

use std::collections::BTreeSet;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::{MergeRecord, MergeStatus, WorktreeRecord};
use crate::protocol::{Collision, TaskId, WorktreeView};
use crate::store::StoreError;
use crate::store::read::{corrupt, status};

const COLUMNS: &str = "task_id, path, branch, base, base_commit, state, port_base, changed, \
     ahead, behind, conflicts, error, created_at, updated_at";

const MERGE_COLUMNS: &str = "id, task_id, into_branch, strategy, status, requested_by, holder, \
     old_commit, new_commit, error, requested_at, started_at, finished_at";

fn files(row: &SqliteRow, column: &str) -> Result<Vec<String>, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| corrupt(format!("worktree {column}: {e}")))
}

fn count(row: &SqliteRow, column: &str) -> Result<u32, StoreError> {
    let n: i64 = row.try_get(column)?;
    Ok(u32::try_from(n.max(0)).unwrap_or(u32::MAX))
}

fn record(row: &SqliteRow) -> Result<WorktreeRecord, StoreError> {
    Ok(WorktreeRecord {
        task_id: TaskId(row.try_get("task_id")?),
        path: row.try_get("path")?,
        branch: row.try_get("branch")?,
        base: row.try_get("base")?,
        base_commit: row.try_get("base_commit")?,
        state: status(row, "state")?,
        port_base: count(row, "port_base")?,
        changed: files(row, "changed")?,
        ahead: count(row, "ahead")?,
        behind: count(row, "behind")?,
        conflicts: files(row, "conflicts")?,
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn merge(row: &SqliteRow) -> Result<MergeRecord, StoreError> {
    let state: String = row.try_get("status")?;
    Ok(MergeRecord {
        id: row.try_get("id")?,
        task_id: TaskId(row.try_get("task_id")?),
        into: row.try_get("into_branch")?,
        strategy: status(row, "strategy")?,
        status: MergeStatus::parse(&state)
            .ok_or_else(|| corrupt(format!("merge status `{state}`")))?,
        requested_by: row.try_get("requested_by")?,
        holder: row.try_get("holder")?,
        old_commit: row.try_get("old_commit")?,
        new_commit: row.try_get("new_commit")?,
        error: row.try_get("error")?,
        requested_at: row.try_get("requested_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// Task `id`'s worktree row, if it has one.
pub async fn get(pool: &SqlitePool, id: &TaskId) -> Result<Option<WorktreeRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM worktrees WHERE task_id = ?");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(record)
        .transpose()
}

/// Whether any task of the project ever had a worktree.
pub async fn any(pool: &SqlitePool) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT EXISTS (SELECT 1 FROM worktrees)")
            .fetch_one(pool)
            .await?
            != 0,
    )
}

/// Every worktree that still has a checkout on disk (or may, being made), oldest first.
pub async fn live(pool: &SqlitePool) -> Result<Vec<WorktreeRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM worktrees \
         WHERE state NOT IN ('merged', 'discarded', 'removed') ORDER BY created_at"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?
        .iter()
        .map(record)
        .collect()
}

/// The other live worktrees that change some of `me`'s files, with those files.
pub fn collisions(me: &WorktreeRecord, live: &[WorktreeRecord]) -> Vec<Collision> {
    let mine: BTreeSet<&String> = me.changed.iter().collect();
    live.iter()
        .filter(|other| other.task_id != me.task_id && other.base == me.base)
        .filter_map(|other| {
            let files: Vec<String> = other
                .changed
                .iter()
                .filter(|f| mine.contains(f))
                .cloned()
                .collect();
            (!files.is_empty()).then(|| Collision {
                task_id: other.task_id.clone(),
                files,
            })
        })
        .collect()
}

/// Task `id`'s worktree as the front ends show it, collisions included.
pub async fn view(pool: &SqlitePool, id: &TaskId) -> Result<Option<WorktreeView>, StoreError> {
    let Some(me) = get(pool, id).await? else {
        return Ok(None);
    };
    let collides = if me.state.is_gone() {
        Vec::new()
    } else {
        collisions(&me, &live(pool).await?)
    };
    Ok(Some(WorktreeView {
        path: me.path,
        branch: me.branch,
        base: me.base,
        base_commit: me.base_commit,
        state: me.state,
        ahead: me.ahead,
        behind: me.behind,
        changed: me.changed,
        port_base: me.port_base,
        collides,
        conflicts: me.conflicts,
        error: me.error,
    }))
}

/// Merge request `id`.
pub async fn merge_by_id(pool: &SqlitePool, id: i64) -> Result<Option<MergeRecord>, StoreError> {
    let sql = format!("SELECT {MERGE_COLUMNS} FROM merges WHERE id = ?");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(merge)
        .transpose()
}

/// The merges not yet ended (queued or running), oldest first.
pub async fn open_merges(pool: &SqlitePool) -> Result<Vec<MergeRecord>, StoreError> {
    let sql = format!(
        "SELECT {MERGE_COLUMNS} FROM merges WHERE status IN ('queued', 'running') ORDER BY id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?
        .iter()
        .map(merge)
        .collect()
}

/// The id of the merge just queued for `task` (the newest of its merges).
pub async fn latest_merge(pool: &SqlitePool, task: &TaskId) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT MAX(id) FROM merges WHERE task_id = ?")
            .bind(task.as_str())
            .fetch_one(pool)
            .await?,
    )
}

/// Every merge asked for `task`, oldest first.
pub async fn merges_of_task(
    pool: &SqlitePool,
    task: &TaskId,
) -> Result<Vec<MergeRecord>, StoreError> {
    let sql = format!("SELECT {MERGE_COLUMNS} FROM merges WHERE task_id = ? ORDER BY id");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(task.as_str())
        .fetch_all(pool)
        .await?
        .iter()
        .map(merge)
        .collect()
}
