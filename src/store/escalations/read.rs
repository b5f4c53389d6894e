//! Queries on the inbox: open questions in batches, one question by id or by the step that
//! asked it, remembered answers, and the state a new question's batch is chosen from.

use std::collections::BTreeMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::{EscalationRecord, NewEscalation};
use crate::protocol::{DecisionKind, EscalationId, EscalationView, TaskId};
use crate::store::StoreError;
use crate::store::read::{corrupt, status};

const COLUMNS: &str = "id, task_id, step_id, kind, question, options, default_choice, risk, \
     reason, skill, workflow, shape, proposal, batch, notified, created_at, deadline, \
     answered_at, choice, decided_by, consumed_at, detail";

fn record(row: &SqliteRow) -> Result<EscalationRecord, StoreError> {
    let options: String = row.try_get("options")?;
    let kind: String = row.try_get("kind")?;
    Ok(EscalationRecord {
        question: NewEscalation {
            id: EscalationId(row.try_get("id")?),
            task_id: TaskId(row.try_get("task_id")?),
            step_id: row.try_get("step_id")?,
            kind: DecisionKind::parse(&kind)
                .ok_or_else(|| corrupt(format!("escalation kind `{kind}`")))?,
            question: row.try_get("question")?,
            options: serde_json::from_str(&options)
                .map_err(|e| corrupt(format!("escalation options: {e}")))?,
            default: row.try_get("default_choice")?,
            risk: status(row, "risk")?,
            reason: row.try_get("reason")?,
            skill: row.try_get("skill")?,
            workflow: row.try_get("workflow")?,
            shape: row.try_get("shape")?,
            proposal: row.try_get("proposal")?,
            detail: row.try_get("detail")?,
            batch: row.try_get::<Option<i64>, _>("batch")?.unwrap_or(0),
            notified: row.try_get("notified")?,
            created_at: row.try_get("created_at")?,
            deadline: row.try_get("deadline")?,
        },
        answered_at: row.try_get("answered_at")?,
        choice: row.try_get("choice")?,
        decided_by: row.try_get("decided_by")?,
        consumed_at: row.try_get("consumed_at")?,
    })
}

/// The group key of near-identical questions.
fn group_of(q: &NewEscalation) -> String {
    format!(
        "{}:{}:{}",
        q.kind.as_str(),
        q.skill.as_deref().unwrap_or("-"),
        q.shape
    )
}

fn view(q: NewEscalation, similar: Vec<EscalationId>) -> EscalationView {
    EscalationView {
        group: group_of(&q),
        covers: crate::policy::key::covers(&q.shape),
        id: q.id,
        task_id: q.task_id,
        step_id: q.step_id,
        question: q.question,
        options: q.options,
        default: q.default,
        risk: q.risk,
        reason: q.reason,
        batch: q.batch,
        created_at: q.created_at,
        deadline: q.deadline,
        kind: q.kind,
        skill: q.skill,
        workflow: q.workflow,
        similar,
        notified: q.notified,
        detail: q.detail,
    }
}

/// Open questions, the current (lowest) batch first, oldest first within a batch.
pub async fn open(pool: &SqlitePool) -> Result<Vec<EscalationView>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM escalations WHERE answered_at IS NULL ORDER BY batch, created_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?;
    let open: Vec<NewEscalation> = rows
        .iter()
        .map(|row| record(row).map(|r| r.question))
        .collect::<Result<_, _>>()?;
    let mut groups: BTreeMap<String, Vec<EscalationId>> = BTreeMap::new();
    for q in &open {
        groups.entry(group_of(q)).or_default().push(q.id.clone());
    }
    Ok(open
        .into_iter()
        .map(|q| {
            let similar = groups
                .get(&group_of(&q))
                .map(|ids| ids.iter().filter(|id| **id != q.id).cloned().collect())
                .unwrap_or_default();
            view(q, similar)
        })
        .collect())
}

/// One escalation, open or closed.
pub async fn get(
    pool: &SqlitePool,
    id: &EscalationId,
) -> Result<Option<EscalationRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM escalations WHERE id = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(record).transpose()
}

/// Every question about task `task`, open or closed, in the order asked.
pub async fn of_task(
    pool: &SqlitePool,
    task: &TaskId,
) -> Result<Vec<EscalationRecord>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM escalations WHERE task_id = ? ORDER BY created_at, id");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(task.as_str())
        .fetch_all(pool)
        .await?
        .iter()
        .map(record)
        .collect()
}

/// The full id of the escalation `prefix` names: exact, or the one id starting with it.
pub async fn resolve_id(
    pool: &SqlitePool,
    prefix: &str,
) -> Result<Result<EscalationId, String>, StoreError> {
    let ids: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM escalations WHERE id >= ?1 AND id < ?1 || '~' LIMIT 3")
            .bind(prefix)
            .fetch_all(pool)
            .await?;
    Ok(match ids.as_slice() {
        [] => Err(format!("no escalation `{prefix}`")),
        [(id,)] => Ok(EscalationId(id.clone())),
        many if many.iter().any(|(id,)| id == prefix) => Ok(EscalationId(prefix.to_string())),
        _ => Err(format!(
            "`{prefix}` names more than one escalation; give more of the id"
        )),
    })
}

/// The question a step asked and has not acted on yet (open, or answered while it was not
/// looking): a step that runs again after a restart takes it up instead of asking twice.
pub async fn pending_for_step(
    pool: &SqlitePool,
    task: &TaskId,
    step: &str,
    kind: DecisionKind,
    question: &str,
) -> Result<Option<EscalationRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM escalations WHERE task_id = ? AND step_id = ? AND kind = ? \
         AND question = ? AND consumed_at IS NULL ORDER BY created_at DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(task.as_str())
        .bind(step)
        .bind(kind.as_str())
        .bind(question)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(record).transpose()
}

/// A task's open question about its branch (kind `merge`), if it has one.
pub async fn open_for_task(
    pool: &SqlitePool,
    task: &TaskId,
) -> Result<Option<NewEscalation>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM escalations WHERE task_id = ? AND kind = 'merge'          AND answered_at IS NULL ORDER BY created_at DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(task.as_str())
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(record).transpose()?.map(|r| r.question))
}

/// Questions about branches answered but not acted on (the process that took the answer
/// stopped first): a starting engine acts on them.
pub async fn unconsumed_merges(pool: &SqlitePool) -> Result<Vec<EscalationRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM escalations WHERE kind = 'merge' AND answered_at IS NOT NULL          AND consumed_at IS NULL AND decided_by != 'withdrawn' ORDER BY answered_at"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?
        .iter()
        .map(record)
        .collect()
}

/// The newest batch: its number, how many questions it holds, how many are still open.
pub async fn last_batch(pool: &SqlitePool) -> Result<(i64, i64, i64), StoreError> {
    let row: (Option<i64>, i64, Option<i64>) = sqlx::query_as(
        "SELECT batch, count(*), sum(answered_at IS NULL) FROM escalations \
         WHERE batch = (SELECT max(batch) FROM escalations)",
    )
    .fetch_one(pool)
    .await?;
    Ok((row.0.unwrap_or(0), row.1, row.2.unwrap_or(0)))
}

/// When the oldest open question was asked (RFC 3339), or `None` when the inbox is empty: the
/// first entry of the `escalations_open` index, whatever the history.
pub async fn oldest_open(pool: &SqlitePool) -> Result<Option<String>, StoreError> {
    let row: (Option<String>,) =
        sqlx::query_as("SELECT min(created_at) FROM escalations WHERE answered_at IS NULL")
            .fetch_one(pool)
            .await?;
    Ok(row.0)
}

/// How many batches interrupted the user since `cutoff` (RFC 3339).
pub async fn notified_since(pool: &SqlitePool, cutoff: &str) -> Result<i64, StoreError> {
    let row: (i64,) = sqlx::query_as(
        "SELECT count(DISTINCT batch) FROM escalations WHERE notified = 1 AND created_at >= ?",
    )
    .bind(cutoff)
    .fetch_one(pool)
    .await?;
    Ok(row.0)
}

/// A remembered answer for a question of this kind and shape, if the user left one that
/// reaches here: for this task, or for the running engine's session.
pub async fn remembered(
    pool: &SqlitePool,
    kind: DecisionKind,
    shape: &str,
    task: &TaskId,
    session: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT scope, choice FROM remembered WHERE kind = ? AND shape = ? \
         AND ((scope = 'task' AND task_id = ?) OR (scope = 'session' AND session = ?)) \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(kind.as_str())
    .bind(shape)
    .bind(task.as_str())
    .bind(session)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

/// A `meta` value.
pub async fn meta(pool: &SqlitePool, key: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = ?")
        .bind(key)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.0))
}
