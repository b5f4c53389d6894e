//! The decision ledger: every decision with who made it and why, and the autonomy rate drawn
//! from it: of the choices a person would otherwise have made, the share settled without
//! asking them. Routine checks (commands the policy's default allowed) are counted apart, so a
//! project where nothing was ever in question does not show 100%.
//!
//! Also what agent steps spent per day and over all time ([`agent_stats`]), from the running
//! totals of migration 0010.

use sqlx::{Row, SqlitePool};

use super::StoreError;
use super::read::corrupt;
use crate::protocol::{
    AgentStatsView, AgentTotals, DecisionCounts, DecisionKind, DecisionView, EscalationId,
    StatsView, TaskId,
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

/// Whether a decision is a routine check rather than a choice: a command the policy allowed by
/// its default (a low- or medium-risk skill, no rule with anything to say). Nobody would have
/// been asked about it, so settling it is no sign of autonomy. Everything else is a choice a
/// person would otherwise have made: `decide` steps, failures, commands a rule allowed or
/// denied or the user was asked about, remembered answers (and, with agents, their permission
/// requests).
pub fn is_routine(kind: &str, decided_by: &str, choice: &str) -> bool {
    kind == DecisionKind::Command.as_str() && decided_by == "policy" && choice == "allow"
}

/// One line of the tally: decisions of a kind, by whom, with what choice.
type Tally = (String, String, String, i64);

fn counts(tally: &[Tally]) -> DecisionCounts {
    let mut c = DecisionCounts::default();
    for (kind, who, choice, n) in tally {
        *c.by.entry(who.clone()).or_default() += n;
        c.decisions += n;
        if is_routine(kind, who, choice) {
            c.routine += n;
            continue;
        }
        c.choices += n;
        *c.choices_by.entry(who.clone()).or_default() += n;
        if is_autonomous(who) {
            c.autonomous += n;
        } else {
            c.asked += n;
        }
    }
    c.autonomy_rate = (c.choices > 0).then(|| c.autonomous as f64 / c.choices as f64);
    c
}

/// Decisions by kind, who made them and their choice, on the UTC day `day` or over all time,
/// from the running totals the store keeps (migration 0006): a few rows whatever the history.
async fn tally(pool: &SqlitePool, day: Option<&str>) -> Result<Vec<Tally>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kind, decided_by, choice, sum(n) FROM decision_tally \
         WHERE (?1 IS NULL OR day = ?1) GROUP BY kind, decided_by, choice HAVING sum(n) > 0",
    )
    .bind(day)
    .fetch_all(pool)
    .await?)
}

/// The autonomy rate today (the UTC day `today_start`, an RFC 3339 midnight, begins) and over
/// all time, with other counts. Each part reads a running total, not the history.
pub async fn stats(pool: &SqlitePool, today_start: &str) -> Result<StatsView, StoreError> {
    let day = today_start.get(..10).unwrap_or(today_start);
    let today = counts(&tally(pool, Some(day)).await?);
    let all_time = counts(&tally(pool, None).await?);
    let open: (i64,) = sqlx::query_as("SELECT count(*) FROM escalations WHERE answered_at IS NULL")
        .fetch_one(pool)
        .await?;
    let tasks: Vec<(String, i64)> = sqlx::query_as("SELECT status, n FROM task_tally WHERE n > 0")
        .fetch_all(pool)
        .await?;
    Ok(StatsView {
        today,
        all_time,
        open_escalations: open.0,
        tasks: tasks.into_iter().collect(),
        agents: agent_stats(pool, today_start).await?,
    })
}

/// What agent steps spent on the UTC day `today_start` (an RFC 3339 midnight) begins, and over
/// all time: one row by its key, and a sum over one row per day, whatever the history.
pub async fn agent_stats(
    pool: &SqlitePool,
    today_start: &str,
) -> Result<AgentStatsView, StoreError> {
    macro_rules! sums {
        () => {
            "SELECT coalesce(sum(steps), 0), total(cost_usd), coalesce(sum(input_tokens), 0), \
             coalesce(sum(output_tokens), 0), coalesce(sum(turns), 0), \
             coalesce(sum(tool_calls), 0), coalesce(sum(denied), 0) FROM agent_tally"
        };
    }
    type Sums = (i64, f64, i64, i64, i64, i64, i64);
    let totals = |row: Sums| AgentTotals {
        steps: row.0,
        cost_usd: row.1,
        input_tokens: row.2,
        output_tokens: row.3,
        turns: row.4,
        tool_calls: row.5,
        denied: row.6,
    };
    let day = today_start.get(..10).unwrap_or(today_start);
    let today: Sums = sqlx::query_as(concat!(sums!(), " WHERE day = ?1"))
        .bind(day)
        .fetch_one(pool)
        .await?;
    let all_time: Sums = sqlx::query_as(sums!()).fetch_one(pool).await?;
    Ok(AgentStatsView {
        today: totals(today),
        all_time: totals(all_time),
    })
}
