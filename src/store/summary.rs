//! Reads for front ends that stay open: compact task rows (no step bodies) with their progress
//! (one count for every front end, [`step_progress`]), the events since a sequence number, and
//! the output of running steps. Each is one indexed query (task rows: one more for progress).

use std::collections::HashMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::StoreError;
use super::read::{corrupt, status};
use crate::protocol::{EventEnvelope, Priority, StepOutput, StepStatus, TaskId, TaskSummary};

/// A task row's columns; progress is read apart ([`summaries_of`]). A failure is `settled` —
/// it no longer asks for attention — once the user dismissed it, decided it themselves (said
/// no, or abort), or a later run of the same workflow succeeded: for a watch run, any later
/// watch run; for a task submitted by hand, a later one with the same description. Only a
/// failure of the last day can ask for attention (older ones are done whatever), so only
/// those are looked at: the later runs scanned are a day's at most, found by `tasks_workflow`.
pub(super) const SUMMARY: &str = "SELECT t.seq, t.id, t.description, t.workflow, t.status, \
     t.priority, t.created_at, t.started_at, t.finished_at, t.error, t.run_id, \
     (t.status = 'failed' \
      AND t.finished_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day') \
      AND (t.dismissed_at IS NOT NULL \
       OR EXISTS (SELECT 1 FROM decisions d WHERE d.task_id = t.id AND d.decided_by = 'user' \
                  AND d.choice IN ('deny', 'abort')) \
       OR EXISTS (SELECT 1 FROM tasks l WHERE l.workflow = t.workflow AND l.status = 'succeeded' \
                  AND l.seq > t.seq \
                  AND (l.workflow_reason LIKE 'started by its watch trigger%') \
                    = (t.workflow_reason LIKE 'started by its watch trigger%') \
                  AND (t.workflow_reason LIKE 'started by its watch trigger%' \
                       OR l.description = t.description)))) AS settled, \
     (SELECT w.state FROM worktrees w WHERE w.task_id = t.id) AS worktree \
     FROM tasks t";

/// Steps ended and steps in all, as every front end shows them (`3/4`): the one count behind
/// `bosun tasks` and the interface's queue. A parallel block's own row only frames the steps
/// in it, so it is not counted; `decide` steps are.
pub fn step_progress<'a>(steps: impl IntoIterator<Item = (&'a str, StepStatus)>) -> (u32, u32) {
    let (mut done, mut total) = (0, 0);
    for (skill, status) in steps {
        if skill == "parallel" {
            continue;
        }
        total += 1;
        if status.is_finished() {
            done += 1;
        }
    }
    (done, total)
}

fn summary(row: &SqliteRow) -> Result<TaskSummary, StoreError> {
    Ok(TaskSummary {
        id: TaskId(row.try_get("id")?),
        seq: row.try_get("seq")?,
        description: row.try_get("description")?,
        workflow: row.try_get("workflow")?,
        status: status(row, "status")?,
        priority: Priority::from_rank(row.try_get("priority")?),
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        steps_done: 0,
        steps_total: 0,
        error: row.try_get("error")?,
        settled: row.try_get("settled")?,
        worktree: row
            .try_get::<Option<String>, _>("worktree")?
            .map(|w| w.parse())
            .transpose()
            .map_err(|e: crate::protocol::ParseError| crate::store::read::corrupt(e))?,
    })
}

/// Rows as task summaries, with the progress of each one's current run read in one indexed
/// query per 500 runs.
pub(super) async fn summaries_of(
    pool: &SqlitePool,
    rows: &[SqliteRow],
) -> Result<Vec<TaskSummary>, StoreError> {
    let mut tasks = Vec::with_capacity(rows.len());
    let mut runs: HashMap<String, usize> = HashMap::new();
    for row in rows {
        if let Some(run) = row.try_get::<Option<String>, _>("run_id")? {
            runs.insert(run, tasks.len());
        }
        tasks.push(summary(row)?);
    }
    let ids: Vec<&String> = runs.keys().collect();
    let mut steps: HashMap<usize, Vec<(String, StepStatus)>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!("SELECT run_id, skill, status FROM steps WHERE run_id IN ({marks})");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id.as_str());
        }
        for row in query.fetch_all(pool).await? {
            let run: String = row.try_get("run_id")?;
            if let Some(&i) = runs.get(&run) {
                steps
                    .entry(i)
                    .or_default()
                    .push((row.try_get("skill")?, status(&row, "status")?));
            }
        }
    }
    for (i, list) in steps {
        let (done, total) = step_progress(list.iter().map(|(k, s)| (k.as_str(), *s)));
        tasks[i].steps_done = done;
        tasks[i].steps_total = total;
    }
    Ok(tasks)
}

/// Failed tasks of these workflows of the last day not dismissed yet (the newest 200 of
/// each): the ones a new success may have settled (older ones never ask for attention).
pub async fn unsettled_failures(
    pool: &SqlitePool,
    workflows: &[&str],
) -> Result<Vec<TaskId>, StoreError> {
    let mut ids = Vec::new();
    for workflow in workflows {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM tasks WHERE workflow = ? AND status = 'failed' \
             AND dismissed_at IS NULL \
             AND finished_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day') \
             ORDER BY seq DESC LIMIT 200",
        )
        .bind(workflow)
        .fetch_all(pool)
        .await?;
        ids.extend(rows.into_iter().map(|(id,)| TaskId(id)));
    }
    Ok(ids)
}

/// The tasks named, in no particular order; unknown ids are left out.
pub async fn summaries(pool: &SqlitePool, ids: &[TaskId]) -> Result<Vec<TaskSummary>, StoreError> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!("{SUMMARY} WHERE t.id IN ({marks})");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id.as_str());
        }
        rows.extend(query.fetch_all(pool).await?);
    }
    summaries_of(pool, &rows).await
}

/// The tasks running or waiting on a question.
pub async fn live_task_ids(pool: &SqlitePool) -> Result<Vec<TaskId>, StoreError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM tasks WHERE status IN ('running', 'waiting')")
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|(id,)| TaskId(id)).collect())
}

/// Up to `limit` events after `seq`, oldest first.
pub async fn events_since(
    pool: &SqlitePool,
    seq: i64,
    limit: i64,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT seq, at, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(seq)
            .bind(limit)
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(seq, at, payload)| {
            let event =
                serde_json::from_str(&payload).map_err(|e| corrupt(format!("event {seq}: {e}")))?;
            Ok(EventEnvelope { seq, at, event })
        })
        .collect()
}

/// The newest event's number: once pruning (`retention:`) emptied the log, the last number
/// given (events are numbered by AUTOINCREMENT, never again), so numbers only grow; 0 when no
/// event was ever written.
pub const LAST_SEQ: &str = "SELECT coalesce((SELECT max(seq) FROM events), \
     (SELECT seq FROM sqlite_sequence WHERE name = 'events'))";

/// The newest event's number (see [`LAST_SEQ`]; 0 when there is none).
pub async fn last_seq(pool: &SqlitePool) -> Result<i64, StoreError> {
    let row: (Option<i64>,) = sqlx::query_as(LAST_SEQ).fetch_one(pool).await?;
    Ok(row.0.unwrap_or(0))
}

/// The store's revision: bumped by every committed write batch, so two equal readings with a
/// read in between mean that read saw one consistent state.
pub async fn revision(pool: &SqlitePool) -> Result<i64, StoreError> {
    let row: (i64,) = sqlx::query_as("SELECT value FROM revision WHERE id = 1")
        .fetch_one(pool)
        .await?;
    Ok(row.0)
}

/// The output of every running step, and of every step finished at or after `since` (RFC
/// 3339), so the last lines of a step that ended between two reads are not lost.
pub async fn recent_outputs(pool: &SqlitePool, since: &str) -> Result<Vec<StepOutput>, StoreError> {
    // Two indexed reads (`steps_live`, `steps_finished`) rather than one `OR`, which SQLite
    // answers by reading every step of the history: 300 ms per refresh on 400k steps.
    type Row = (String, String, i64, Option<String>, Option<String>, bool);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT task_id, id, attempts, output, stderr, running FROM ( \
           SELECT task_id, id, ord, attempts, output, stderr, 1 AS running FROM steps \
           WHERE status IN ('running', 'waiting') AND status = 'running' \
           UNION ALL \
           SELECT task_id, id, ord, attempts, output, stderr, 0 FROM steps \
           WHERE finished_at IS NOT NULL AND finished_at >= ?1 AND status != 'running') \
         ORDER BY task_id, ord",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(task, step, attempt, output, stderr, running)| StepOutput {
                task_id: TaskId(task),
                step,
                attempt,
                output: output.unwrap_or_default(),
                stderr: stderr.unwrap_or_default(),
                running,
            },
        )
        .collect())
}
