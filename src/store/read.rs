//! Queries on the read pool. Views come from the snapshot tables (tasks, steps), never from a
//! replay of the event log.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::{StepRow, StoreError};
use crate::protocol::{Priority, StepStatus, StepView, TaskId, TaskStatus, TaskView};

/// A task as the engine needs it to run.
#[derive(Debug, Clone)]
pub struct TaskRecord {
    pub seq: i64,
    pub id: TaskId,
    pub description: String,
    pub workflow: String,
    pub plan: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub inputs: serde_json::Map<String, serde_json::Value>,
    pub run_id: Option<String>,
    pub cancel_requested: bool,
}

/// A step whose process may have outlived its engine.
#[derive(Debug, Clone)]
pub struct LiveStep {
    pub task_id: TaskId,
    pub run_id: String,
    pub step_id: String,
    pub pid: Option<i64>,
    pub proc_start: Option<i64>,
}

const TASK_COLUMNS: &str = "seq, id, description, workflow, workflow_reason, plan, status, \
     priority, inputs, run_id, cancel_requested, error, created_at, started_at, finished_at";

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn status<T: std::str::FromStr>(row: &SqliteRow, column: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    let text: String = row.try_get(column)?;
    text.parse().map_err(corrupt)
}

fn inputs(row: &SqliteRow) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    let text: String = row.try_get("inputs")?;
    serde_json::from_str(&text).map_err(|e| corrupt(format!("task inputs: {e}")))
}

fn task_record(row: &SqliteRow) -> Result<TaskRecord, StoreError> {
    Ok(TaskRecord {
        seq: row.try_get("seq")?,
        id: TaskId(row.try_get("id")?),
        description: row.try_get("description")?,
        workflow: row.try_get("workflow")?,
        plan: row.try_get("plan")?,
        status: status(row, "status")?,
        priority: Priority::from_rank(row.try_get("priority")?),
        inputs: inputs(row)?,
        run_id: row.try_get("run_id")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
    })
}

fn task_view(row: &SqliteRow) -> Result<TaskView, StoreError> {
    Ok(TaskView {
        id: TaskId(row.try_get("id")?),
        description: row.try_get("description")?,
        workflow: row.try_get("workflow")?,
        workflow_reason: row.try_get("workflow_reason")?,
        status: status(row, "status")?,
        priority: Priority::from_rank(row.try_get("priority")?),
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        inputs: inputs(row)?,
        error: row.try_get("error")?,
        cost_usd: 0.0,
        steps: Vec::new(),
        worktree: None,
    })
}

fn step_row(row: &SqliteRow) -> Result<StepRow, StoreError> {
    Ok(StepRow {
        run_id: row.try_get("run_id")?,
        id: row.try_get("id")?,
        task_id: TaskId(row.try_get("task_id")?),
        ord: row.try_get("ord")?,
        parent: row.try_get("parent")?,
        skill: row.try_get("skill")?,
        status: status::<StepStatus>(row, "status")?,
        attempts: row.try_get("attempts")?,
        exit_code: row.try_get("exit_code")?,
        output: row.try_get("output")?,
        stderr: row.try_get("stderr")?,
        error: row.try_get("error")?,
        choice: row.try_get("choice")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        agent: row
            .try_get::<Option<String>, _>("agent")?
            .and_then(|text| serde_json::from_str(&text).ok()),
    })
}

impl From<StepRow> for StepView {
    fn from(s: StepRow) -> StepView {
        StepView {
            id: s.id,
            skill: s.skill,
            parent: s.parent,
            status: s.status,
            attempts: s.attempts,
            exit_code: s.exit_code,
            output: s.output,
            stderr: s.stderr,
            waited_ms: None,
            error: s.error,
            choice: s.choice,
            started_at: s.started_at,
            finished_at: s.finished_at,
            agent: s.agent,
        }
    }
}

/// Tasks newest first, each with the steps of its current run.
pub async fn list_tasks(
    pool: &SqlitePool,
    status_filter: Option<TaskStatus>,
    limit: i64,
) -> Result<Vec<TaskView>, StoreError> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE (?1 IS NULL OR status = ?1) ORDER BY seq DESC LIMIT ?2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(status_filter.map(|s| s.as_str()))
        .bind(limit)
        .fetch_all(pool)
        .await?;
    let mut tasks = Vec::with_capacity(rows.len());
    let mut run_ids = Vec::new();
    for row in &rows {
        tasks.push(task_view(row)?);
        run_ids.push(row.try_get::<Option<String>, _>("run_id")?);
    }
    let wanted: Vec<&str> = run_ids.iter().flatten().map(String::as_str).collect();
    let mut steps = step_views(pool, &wanted).await?;
    for (task, run_id) in tasks.iter_mut().zip(run_ids) {
        if let Some(run_id) = run_id
            && let Some(list) = steps.remove(&run_id)
        {
            task.steps = list;
        }
        task.cost_usd = task.agent_cost();
    }
    Ok(tasks)
}

/// Milliseconds a step has spent waiting on questions since it started (answered ones, and the
/// one still open until now): the part of its duration that was the user's, not its work.
const WAITED_MS: &str = "(SELECT CAST(SUM((julianday(COALESCE(e.answered_at, 'now')) \
     - julianday(e.created_at)) * 86400000) AS INTEGER) FROM escalations e \
     WHERE e.task_id = s.task_id AND e.step_id = s.id AND e.created_at >= s.started_at)";

/// The steps of these runs as shown, each with its time spent waiting on questions.
async fn step_views(
    pool: &SqlitePool,
    run_ids: &[&str],
) -> Result<std::collections::HashMap<String, Vec<StepView>>, StoreError> {
    let mut by_run: std::collections::HashMap<String, Vec<StepView>> = Default::default();
    for chunk in run_ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!(
            "SELECT s.*, {WAITED_MS} AS waited_ms FROM steps s WHERE s.run_id IN ({marks}) \
             ORDER BY s.run_id, s.ord"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(pool).await? {
            let step = step_row(&row)?;
            let run = step.run_id.clone();
            let mut view = StepView::from(step);
            view.waited_ms = row
                .try_get::<Option<i64>, _>("waited_ms")?
                .map(|ms| ms.max(0));
            by_run.entry(run).or_default().push(view);
        }
    }
    Ok(by_run)
}

/// The full id of the task named by `id_or_prefix` (a unique prefix is enough).
pub async fn resolve_task_id(
    pool: &SqlitePool,
    id_or_prefix: &str,
) -> Result<Option<TaskId>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM tasks WHERE id = ?1 OR (length(?1) >= 3 AND substr(id, 1, length(?1)) = ?1) LIMIT 3",
    )
    .bind(id_or_prefix)
    .fetch_all(pool)
    .await?;
    if let Some(exact) = rows.iter().find(|r| r.0 == id_or_prefix) {
        return Ok(Some(TaskId(exact.0.clone())));
    }
    match rows.as_slice() {
        [one] => Ok(Some(TaskId(one.0.clone()))),
        [] => Ok(None),
        _ => Err(StoreError::Conflict(format!(
            "`{id_or_prefix}` matches several tasks; give more of the id"
        ))),
    }
}

/// One task with its steps.
pub async fn get_task(pool: &SqlitePool, id: &TaskId) -> Result<Option<TaskView>, StoreError> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let mut task = task_view(&row)?;
    if let Some(run_id) = row.try_get::<Option<String>, _>("run_id")? {
        task.steps = step_views(pool, &[run_id.as_str()])
            .await?
            .remove(&run_id)
            .unwrap_or_default();
        task.cost_usd = task.agent_cost();
    }
    task.worktree = super::worktrees::read::view(pool, id).await?;
    Ok(Some(task))
}

/// The record the engine runs from.
pub async fn get_task_record(
    pool: &SqlitePool,
    id: &TaskId,
) -> Result<Option<TaskRecord>, StoreError> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(task_record).transpose()
}

/// Queued tasks added after `after_seq`, in queue order.
pub async fn queued_after(
    pool: &SqlitePool,
    after_seq: i64,
) -> Result<Vec<TaskRecord>, StoreError> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE status = 'queued' AND seq > ? ORDER BY priority DESC, seq"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after_seq)
        .fetch_all(pool)
        .await?;
    rows.iter().map(task_record).collect()
}

/// Every queued task, in queue order.
pub async fn queued(pool: &SqlitePool) -> Result<Vec<TaskRecord>, StoreError> {
    queued_after(pool, i64::MIN).await
}

/// Tasks some process asked to cancel that have not finished yet.
pub async fn cancel_requests(pool: &SqlitePool) -> Result<Vec<TaskId>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM tasks WHERE cancel_requested = 1 AND status IN ('queued', 'running', 'waiting')",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| TaskId(r.0)).collect())
}

/// Tasks an engine had started and not finished (after a crash: the ones to resume).
pub async fn unfinished(pool: &SqlitePool) -> Result<Vec<TaskRecord>, StoreError> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE status IN ('running', 'waiting') ORDER BY seq"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?;
    rows.iter().map(task_record).collect()
}

/// The steps of one run, in workflow order.
pub async fn steps_of_run(pool: &SqlitePool, run_id: &str) -> Result<Vec<StepRow>, StoreError> {
    let rows = sqlx::query("SELECT * FROM steps WHERE run_id = ? ORDER BY ord")
        .bind(run_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(step_row).collect()
}

/// Steps marked running or waiting, with their recorded processes.
pub async fn live_steps(
    pool: &SqlitePool,
    task: Option<&TaskId>,
) -> Result<Vec<LiveStep>, StoreError> {
    let rows = sqlx::query(
        "SELECT task_id, run_id, id, pid, proc_start FROM steps \
         WHERE status IN ('running', 'waiting') AND (?1 IS NULL OR task_id = ?1)",
    )
    .bind(task.map(|t| t.as_str().to_string()))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(LiveStep {
                task_id: TaskId(row.try_get("task_id")?),
                run_id: row.try_get("run_id")?,
                step_id: row.try_get("id")?,
                pid: row.try_get("pid")?,
                proc_start: row.try_get("proc_start")?,
            })
        })
        .collect()
}

/// When a step of a task's current run started and finished, with its skill and status.
#[derive(Debug, Clone, PartialEq)]
pub struct StepTiming {
    pub skill: String,
    pub status: StepStatus,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

/// Step `step_id` of task `task`'s current run, by the two tables' keys (not the whole task
/// with its steps' output): what `/metrics` reads for each step that finishes.
pub async fn step_timing(
    pool: &SqlitePool,
    task: &TaskId,
    step_id: &str,
) -> Result<Option<StepTiming>, StoreError> {
    let row = sqlx::query(
        "SELECT s.skill, s.status, s.started_at, s.finished_at FROM tasks t \
         JOIN steps s ON s.run_id = t.run_id AND s.id = ?2 WHERE t.id = ?1",
    )
    .bind(task.as_str())
    .bind(step_id)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(StepTiming {
            skill: row.try_get("skill")?,
            status: status(&row, "status")?,
            started_at: row.try_get("started_at")?,
            finished_at: row.try_get("finished_at")?,
        })
    })
    .transpose()
}

/// How many runs a task has had.
pub async fn run_count(pool: &SqlitePool, task: &TaskId) -> Result<i64, StoreError> {
    let row: (i64,) = sqlx::query_as("SELECT count(*) FROM runs WHERE task_id = ?")
        .bind(task.as_str())
        .fetch_one(pool)
        .await?;
    Ok(row.0)
}

/// The newest `limit` events, oldest first: what a front end shows on its first frame.
pub async fn event_tail(
    pool: &SqlitePool,
    limit: i64,
) -> Result<Vec<crate::protocol::EventEnvelope>, StoreError> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT seq, at, payload FROM events ORDER BY seq DESC LIMIT ?")
            .bind(limit)
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .rev()
        .map(|(seq, at, payload)| {
            let event =
                serde_json::from_str(&payload).map_err(|e| corrupt(format!("event {seq}: {e}")))?;
            Ok(crate::protocol::EventEnvelope { seq, at, event })
        })
        .collect()
}
