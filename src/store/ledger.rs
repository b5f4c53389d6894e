//! The decision ledger: every decision with who made it and why, and the autonomy rate drawn
//! from it (decisions made without the user over all decisions).

use std::collections::BTreeMap;

use sqlx::{Row, SqlitePool};

use super::StoreError;
use super::read::corrupt;
use crate::protocol::{
    DecisionCounts, DecisionKind, DecisionView, EscalationId, StatsView, TaskId,
};

/// Whether a decision was made without asking the user. A question that timed out was asked
/// (the user was interrupted), so it does not count as autonomous.
pub fn is_autonomous(decided_by: &str) -> bool {
    decided_by == "policy"
        || decided_by.starts_with("rule:")
        || decided_by.starts_with("remembered:")
}

/// Decisions, oldest first, for one task or all.
pub async fn list_decisions(
    pool: &SqlitePool,
    task: Option<&TaskId>,
) -> Result<Vec<DecisionView>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, task_id, step_id, question, options, choice, decided_by, reason, at, kind, \
         risk, escalation_id FROM decisions WHERE (?1 IS NULL OR task_id = ?1) ORDER BY at, id",
    )
    .bind(task.map(|t| t.as_str().to_string()))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let options: String = row.try_get("options")?;
            let kind: String = row.try_get("kind")?;
            let risk: Option<String> = row.try_get("risk")?;
            Ok(DecisionView {
                id: row.try_get("id")?,
                task_id: TaskId(row.try_get("task_id")?),
                step_id: row.try_get("step_id")?,
                question: row.try_get("question")?,
                options: serde_json::from_str(&options)
                    .map_err(|e| corrupt(format!("decision options: {e}")))?,
                choice: row.try_get("choice")?,
                decided_by: row.try_get("decided_by")?,
                reason: row.try_get("reason")?,
                at: row.try_get("at")?,
                kind: DecisionKind::parse(&kind)
                    .ok_or_else(|| corrupt(format!("decision kind `{kind}`")))?,
                risk: risk.map(|r| r.parse()).transpose().map_err(corrupt)?,
                escalation_id: row
                    .try_get::<Option<String>, _>("escalation_id")?
                    .map(EscalationId),
            })
        })
        .collect()
}

fn counts(by: BTreeMap<String, i64>) -> DecisionCounts {
    let decisions: i64 = by.values().sum();
    let autonomous: i64 = by
        .iter()
        .filter(|(who, _)| is_autonomous(who))
        .map(|(_, n)| n)
        .sum();
    DecisionCounts {
        decisions,
        autonomous,
        asked: decisions - autonomous,
        autonomy_rate: (decisions > 0).then(|| autonomous as f64 / decisions as f64),
        by,
    }
}

/// Decisions by who made them, since `since` (RFC 3339) or over all time.
async fn decided_by(
    pool: &SqlitePool,
    since: Option<&str>,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT decided_by, count(*) FROM decisions WHERE (?1 IS NULL OR at >= ?1) \
         GROUP BY decided_by",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    // `rule:<id>` and `remembered:<scope>` are kept apart: the split is what users tune.
    Ok(rows.into_iter().collect())
}

/// The autonomy rate today (UTC, from `today_start`) and over all time, with other counts.
pub async fn stats(pool: &SqlitePool, today_start: &str) -> Result<StatsView, StoreError> {
    let today = counts(decided_by(pool, Some(today_start)).await?);
    let all_time = counts(decided_by(pool, None).await?);
    let open: (i64,) = sqlx::query_as("SELECT count(*) FROM escalations WHERE answered_at IS NULL")
        .fetch_one(pool)
        .await?;
    let tasks: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM tasks GROUP BY status")
            .fetch_all(pool)
            .await?;
    Ok(StatsView {
        today,
        all_time,
        open_escalations: open.0,
        tasks: tasks.into_iter().collect(),
    })
}
