//! What agents have spent, for the budgets (DESIGN.md §8): a task's agent steps over all its
//! runs, and every agent step of the day. A step's spending and the budget grants the user
//! gave while it ran live in its `agent` JSON, so they are read from there: nothing else can
//! drift from it.

use sqlx::{Row, SqlitePool};

use super::StoreError;
use crate::protocol::{AgentView, TaskId};

/// Dollars spent, and how far the user has allowed spending past the budget.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spend {
    pub spent_usd: f64,
    /// The highest grant given (`None`: the budget itself is the limit).
    pub allowed_usd: Option<f64>,
}

impl Spend {
    fn add(&mut self, spent: f64, allowed: Option<f64>) {
        self.spent_usd += spent;
        if let Some(allowed) = allowed {
            self.allowed_usd = Some(self.allowed_usd.map_or(allowed, |a| a.max(allowed)));
        }
    }
}

fn views(rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<AgentView>, StoreError> {
    let mut views = Vec::new();
    for row in rows {
        let text: Option<String> = row.try_get("agent")?;
        if let Some(view) = text.and_then(|t| serde_json::from_str::<AgentView>(&t).ok()) {
            views.push(view);
        }
    }
    Ok(views)
}

/// The task's agent spending, every run of it.
pub async fn task_spend(pool: &SqlitePool, task: &TaskId) -> Result<Spend, StoreError> {
    let rows = sqlx::query("SELECT agent FROM steps WHERE task_id = ? AND agent IS NOT NULL")
        .bind(task.as_str())
        .fetch_all(pool)
        .await?;
    let mut spend = Spend::default();
    for view in views(&rows)? {
        spend.add(view.cost_usd, view.grant.and_then(|g| g.task_usd));
    }
    Ok(spend)
}

/// The day's agent spending: what the running totals (`agent_tally`) counted on the UTC day
/// `day_start` (RFC 3339) begins — each step's spending on the day it was spent — and the
/// grants the user gave that day, read from the steps still running or finished since.
pub async fn day_spend(pool: &SqlitePool, day_start: &str) -> Result<Spend, StoreError> {
    let today = super::ledger::agent_stats(pool, day_start).await?.today;
    let rows = sqlx::query(
        "SELECT agent FROM steps WHERE finished_at >= ?1 AND agent IS NOT NULL \
         UNION ALL \
         SELECT agent FROM steps WHERE status IN ('running', 'waiting') AND agent IS NOT NULL",
    )
    .bind(day_start)
    .fetch_all(pool)
    .await?;
    let mut spend = Spend {
        spent_usd: today.cost_usd,
        allowed_usd: None,
    };
    let day = day_start.get(..10).unwrap_or(day_start);
    for view in views(&rows)? {
        let granted = view
            .grant
            .filter(|g| g.day.as_deref() == Some(day))
            .and_then(|g| g.day_usd);
        spend.add(0.0, granted);
    }
    Ok(spend)
}
