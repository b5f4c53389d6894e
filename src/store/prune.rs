//! Pruning old history (`retention:`, see `engine::retention` for when): the queries that find
//! what may go, and the [`PruneOp`]s the writer applies.
//!
//! Invariants: only tasks that are finished (succeeded, failed, cancelled) lose anything, and
//! of them only their events and log lines; tasks, runs and steps rows stay, so the history
//! list and `show` keep working. Every op deletes at most its `limit` rows, so that the single
//! writer is never held for long; the caller repeats it until the reader finds nothing left.
//! Pruned decisions leave the day tallies as they were (the autonomy rate over all time does not
//! change because old rows went). The free pages stay in the file for SQLite to reuse (the
//! database has no `auto_vacuum`, and `VACUUM` is not for a running engine).

use sqlx::{SqliteConnection, SqlitePool};

use super::StoreError;
use crate::protocol::TaskId;

/// The statuses of a task whose history may go.
const FINISHED: &str = "status IN ('succeeded', 'failed', 'cancelled')";
/// The `meta` key holding the cutoff of the last complete history prune.
const PRUNED_BEFORE: &str = "history_pruned_before";

/// A pruning change.
#[derive(Debug, Clone)]
pub enum PruneOp {
    /// Deletes at most `limit` rows of the events, then the log lines, of `tasks` that are
    /// finished.
    History { tasks: Vec<TaskId>, limit: i64 },
    /// Deletes at most `limit` decisions made before `before` (RFC 3339) whose row is at most
    /// `through` (the newest such row when the prune began: the scan stops there).
    Decisions {
        before: String,
        through: i64,
        limit: i64,
    },
    /// Records that the history of every task finished before this time was pruned: the next
    /// prune starts there.
    HistoryPrunedBefore(String),
}

fn ids_json(tasks: &[TaskId]) -> String {
    serde_json::Value::from(
        tasks
            .iter()
            .map(|t| t.as_str().to_string())
            .collect::<Vec<_>>(),
    )
    .to_string()
}

impl PruneOp {
    pub(super) async fn apply(&self, conn: &mut SqliteConnection) -> Result<u64, StoreError> {
        match self {
            PruneOp::History { tasks, limit } => {
                let ids = ids_json(tasks);
                let mut deleted = 0;
                for table in ["events", "logs"] {
                    let left = limit - deleted as i64;
                    if left <= 0 {
                        break;
                    }
                    let sql = format!(
                        "DELETE FROM {table} WHERE seq IN (SELECT seq FROM {table} WHERE task_id IN \
                         (SELECT id FROM tasks WHERE id IN (SELECT value FROM json_each(?1)) \
                         AND {FINISHED}) LIMIT ?2)"
                    );
                    deleted += sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&ids)
                        .bind(left)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                }
                Ok(deleted)
            }
            PruneOp::Decisions {
                before,
                through,
                limit,
            } => {
                const BATCH: &str = "SELECT rowid FROM decisions WHERE rowid <= ?1 AND at < ?2 \
                                     ORDER BY rowid LIMIT ?3";
                // The delete trigger takes each row from its day's tally; they are put back
                // first, in the same transaction, so the tallies do not change.
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO decision_tally (day, kind, decided_by, choice, n) \
                     SELECT substr(at, 1, 10), kind, decided_by, choice, count(*) FROM decisions \
                     WHERE rowid IN ({BATCH}) GROUP BY 1, 2, 3, 4 \
                     ON CONFLICT (day, kind, decided_by, choice) DO UPDATE SET n = n + excluded.n"
                )))
                .bind(through)
                .bind(before)
                .bind(limit)
                .execute(&mut *conn)
                .await?;
                Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM decisions WHERE rowid IN ({BATCH})"
                )))
                .bind(through)
                .bind(before)
                .bind(limit)
                .execute(&mut *conn)
                .await?
                .rows_affected())
            }
            PruneOp::HistoryPrunedBefore(at) => Ok(sqlx::query(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(PRUNED_BEFORE)
            .bind(at)
            .execute(&mut *conn)
            .await?
            .rows_affected()),
        }
    }
}

/// Where the last complete history prune stopped: tasks finished before it have no history
/// left to prune. `None` before the first.
pub async fn pruned_before(pool: &SqlitePool) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = ?")
        .bind(PRUNED_BEFORE)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.0))
}

/// A finished task, with where it sorts among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedTask {
    pub id: TaskId,
    pub finished_at: String,
    pub seq: i64,
}

/// Up to `limit` tasks finished in `[from, before)` (from the first when `from` is `None`),
/// after `after`, in the order they finished.
pub async fn finished_between(
    pool: &SqlitePool,
    from: Option<&str>,
    before: &str,
    after: Option<&FinishedTask>,
    limit: i64,
) -> Result<Vec<FinishedTask>, StoreError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, finished_at, seq FROM tasks WHERE {FINISHED} AND finished_at IS NOT NULL \
         AND finished_at < ?1 AND (?2 IS NULL OR finished_at >= ?2) \
         AND (?3 IS NULL OR (finished_at, seq) > (?3, ?4)) \
         ORDER BY finished_at, seq LIMIT ?5"
    )))
    .bind(before)
    .bind(from)
    .bind(after.map(|t| t.finished_at.as_str()))
    .bind(after.map(|t| t.seq))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, finished_at, seq)| FinishedTask {
            id: TaskId(id),
            finished_at,
            seq,
        })
        .collect())
}

/// How many events and log lines `tasks` have.
pub async fn history_rows(pool: &SqlitePool, tasks: &[TaskId]) -> Result<(i64, i64), StoreError> {
    let ids = ids_json(tasks);
    Ok(sqlx::query_as(
        "SELECT (SELECT count(*) FROM events WHERE task_id IN (SELECT value FROM json_each(?1))), \
         (SELECT count(*) FROM logs WHERE task_id IN (SELECT value FROM json_each(?1)))",
    )
    .bind(ids)
    .fetch_one(pool)
    .await?)
}

/// Those of `tasks` that have any events or log lines.
pub async fn with_history(pool: &SqlitePool, tasks: &[TaskId]) -> Result<Vec<TaskId>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT value FROM json_each(?1) WHERE EXISTS (SELECT 1 FROM events WHERE task_id = value) \
         OR EXISTS (SELECT 1 FROM logs WHERE task_id = value)",
    )
    .bind(ids_json(tasks))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| TaskId(id)).collect())
}

/// Every step (task, step id) of `tasks`, across their runs: the names of their transcripts.
pub async fn steps_of(
    pool: &SqlitePool,
    tasks: &[TaskId],
) -> Result<Vec<(TaskId, String)>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT task_id, id FROM steps WHERE task_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(ids_json(tasks))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(task, step)| (TaskId(task), step))
        .collect())
}

/// How many decisions were made before `before`, and the newest row among them (`None` when
/// there is none). Reads the whole ledger, on a reader, not the writer.
pub async fn old_decisions(
    pool: &SqlitePool,
    before: &str,
) -> Result<(i64, Option<i64>), StoreError> {
    Ok(
        sqlx::query_as("SELECT count(*), max(rowid) FROM decisions WHERE at < ?")
            .bind(before)
            .fetch_one(pool)
            .await?,
    )
}
