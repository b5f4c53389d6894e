//! The task list in pages, for front ends that stay open on a project with months of history:
//! what is open, the failures that still ask for attention, the newest finished tasks, older
//! ones a page at a time from a cursor, and a text search run in the store. Each read is one
//! indexed query (`tasks_queue`, `tasks_finished`) plus the progress of the rows it returns, so
//! its cost follows the page, not the history; only the search scans (the narrow `tasks_text`).

use sqlx::SqlitePool;

use super::StoreError;
use super::summary::{SUMMARY, summaries_of};
use crate::protocol::{TaskCursor, TaskPage, TaskSummary};

/// Finished tasks in the interface's first frame, and in each page read after it.
pub const PAGE: i64 = 200;
/// At most this many tasks match a search; the newest are kept.
pub const SEARCH_LIMIT: i64 = 500;

/// A value bound to a query's `?N`.
enum Bind {
    Text(String),
    Int(i64),
}

async fn read(
    pool: &SqlitePool,
    clauses: &str,
    binds: Vec<Bind>,
) -> Result<Vec<TaskSummary>, StoreError> {
    let sql = format!("{SUMMARY} {clauses}");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text),
            Bind::Int(n) => query.bind(n),
        };
    }
    let rows = query.fetch_all(pool).await?;
    summaries_of(pool, &rows).await
}

/// The tasks queued, running or waiting on a question, oldest first.
pub async fn open(pool: &SqlitePool) -> Result<Vec<TaskSummary>, StoreError> {
    read(
        pool,
        "WHERE t.status IN ('queued', 'running', 'waiting') ORDER BY t.seq",
        Vec::new(),
    )
    .await
}

/// Up to `limit` tasks that failed at or after `since` (RFC 3339), newest first.
pub async fn failed_since(
    pool: &SqlitePool,
    since: &str,
    limit: i64,
) -> Result<Vec<TaskSummary>, StoreError> {
    read(
        pool,
        "WHERE t.finished_at IS NOT NULL AND t.finished_at >= ?1 AND +t.status = 'failed' \
         ORDER BY t.finished_at DESC, t.seq DESC LIMIT ?2",
        vec![Bind::Text(since.to_string()), Bind::Int(limit)],
    )
    .await
}

/// Up to `limit` finished tasks, newest first: the newest of all, or those that finished
/// before `before`.
pub async fn finished_page(
    pool: &SqlitePool,
    before: Option<&TaskCursor>,
    limit: i64,
) -> Result<TaskPage, StoreError> {
    // `+t.status`: a status is no use as an index here (nearly every finished task matches);
    // without the `+`, SQLite would read them all by `tasks_queue` and sort them.
    const ORDER: &str = "AND +t.status IN ('succeeded', 'failed', 'cancelled') \
         ORDER BY t.finished_at DESC, t.seq DESC LIMIT ?3";
    // One more row than asked says whether another page follows.
    let mut tasks = match before {
        None => {
            let clauses = format!("WHERE t.finished_at IS NOT NULL {ORDER}");
            let binds = vec![
                Bind::Text(String::new()),
                Bind::Int(0),
                Bind::Int(limit + 1),
            ];
            read(pool, &clauses, binds).await?
        }
        Some(cursor) => {
            let clauses = format!(
                "WHERE t.finished_at IS NOT NULL AND (t.finished_at, t.seq) < (?1, ?2) {ORDER}"
            );
            let binds = vec![
                Bind::Text(cursor.finished_at.clone()),
                Bind::Int(cursor.seq),
                Bind::Int(limit + 1),
            ];
            read(pool, &clauses, binds).await?
        }
    };
    let more = tasks.len() as i64 > limit;
    tasks.truncate(usize::try_from(limit).unwrap_or(0));
    let next = more.then(|| tasks.last()).flatten().and_then(|t| {
        Some(TaskCursor {
            finished_at: t.finished_at.clone()?,
            seq: t.seq,
        })
    });
    Ok(TaskPage { tasks, next })
}

/// Up to [`SEARCH_LIMIT`] tasks, newest first, whose description, workflow, id or status
/// contains `text` (ignoring ASCII case), as the interface's filter matches the rows it holds.
pub async fn search(pool: &SqlitePool, text: &str) -> Result<Vec<TaskSummary>, StoreError> {
    let needle = text.to_lowercase();
    // The match scans `tasks_text`, a narrow copy of the searched columns, not the rows with
    // their frozen plans: half the time on a long history.
    read(
        pool,
        "WHERE t.seq IN (SELECT seq FROM tasks INDEXED BY tasks_text \
           WHERE instr(lower(description), ?1) > 0 OR instr(lower(workflow), ?1) > 0 \
           OR instr(lower(id), ?1) > 0 OR instr(status, ?1) > 0 \
           ORDER BY seq DESC LIMIT ?2) \
         ORDER BY t.seq DESC",
        vec![Bind::Text(needle), Bind::Int(SEARCH_LIMIT)],
    )
    .await
}

/// How long the newest (up to 20) successful tasks of `workflow` took from start to finish, in
/// seconds, the median; `None` before one has succeeded.
pub async fn typical_duration(
    pool: &SqlitePool,
    workflow: &str,
) -> Result<Option<f64>, StoreError> {
    let mut secs: Vec<f64> = sqlx::query_scalar(
        "SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0 FROM tasks
         WHERE finished_at IS NOT NULL AND started_at IS NOT NULL AND workflow = ?
           AND status = 'succeeded'
         ORDER BY finished_at DESC, seq DESC LIMIT 20",
    )
    .bind(workflow)
    .fetch_all(pool)
    .await?;
    secs.sort_by(f64::total_cmp);
    Ok(secs.get(secs.len() / 2).copied())
}
