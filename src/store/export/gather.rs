//! Reading one task's export: each part from the table or file that owns it, every row that
//! names the task, oldest first.

use serde_json::Value;
use sqlx::{Row, SqlitePool};

use super::{
    ExportedCost, ExportedEscalation, ExportedEvent, ExportedLog, ExportedRun, ExportedTask,
    ExportedWorkflow, ExportedWorktree, FORMAT, TaskExport, transcripts,
};
use crate::config::ProjectPaths;
use crate::protocol::{Priority, StepView, TaskId};
use crate::store::escalations::EscalationRecord;
use crate::store::read::{self, status};
use crate::store::worktrees;
use crate::store::{StoreError, audit, escalations, ledger, spend};

/// Everything about task `id` (a full id), or `None` when there is no such task.
pub async fn gather(
    pool: &SqlitePool,
    paths: &ProjectPaths,
    id: &TaskId,
) -> Result<Option<TaskExport>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT id, description, workflow, workflow_reason, plan, status, priority, inputs, \
         run_id, cancel_requested, error, created_at, started_at, finished_at, dismissed_at \
         FROM tasks WHERE id = ?",
    )
    .bind(id.as_str())
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let task = ExportedTask {
        id: TaskId(row.try_get("id")?),
        description: row.try_get("description")?,
        status: status(&row, "status")?,
        priority: Priority::from_rank(row.try_get("priority")?),
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        error: row.try_get("error")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
        dismissed_at: row.try_get("dismissed_at")?,
    };
    let workflow = ExportedWorkflow {
        name: row.try_get("workflow")?,
        reason: row.try_get("workflow_reason")?,
        plan: json_or_text(row.try_get("plan")?),
    };
    let current: Option<String> = row.try_get("run_id")?;
    let runs = runs(pool, id, current.as_deref()).await?;
    let steps: Vec<&StepView> = runs.iter().flat_map(|r| &r.steps).collect();
    let cost = cost(pool, id, &steps).await?;
    let transcripts = transcripts::read(paths, id, &steps).await?;
    let audit_log = paths.audit_log();
    let task_id = id.as_str().to_string();
    let audit = tokio::task::spawn_blocking(move || audit::records_of_task(&audit_log, &task_id))
        .await
        .map_err(|e| StoreError::Io(format!("reading the audit log: {e}")))?
        .map_err(|e| StoreError::Io(e.to_string()))?;
    Ok(Some(TaskExport {
        format: FORMAT.to_string(),
        bosun_version: env!("CARGO_PKG_VERSION").to_string(),
        exported_at: crate::time::now_rfc3339(),
        project_root: paths.root.display().to_string(),
        task,
        workflow,
        inputs: json_or_text(row.try_get("inputs")?),
        decisions: ledger::list_decisions(pool, Some(id)).await?,
        escalations: escalations::read::of_task(pool, id)
            .await?
            .into_iter()
            .map(escalation)
            .collect(),
        events: events(pool, id).await?,
        logs: logs(pool, id).await?,
        audit,
        transcripts,
        cost,
        worktree: worktree(pool, id).await?,
        runs,
    }))
}

/// Stored JSON as a value; text that does not parse is kept as it is, as a string.
pub(super) fn json_or_text(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

async fn runs(
    pool: &SqlitePool,
    id: &TaskId,
    current: Option<&str>,
) -> Result<Vec<ExportedRun>, StoreError> {
    let rows: Vec<(String, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT id, number, started_at, finished_at FROM runs WHERE task_id = ? \
         ORDER BY number, started_at",
    )
    .bind(id.as_str())
    .fetch_all(pool)
    .await?;
    let mut runs = Vec::with_capacity(rows.len());
    for (run_id, number, started_at, finished_at) in rows {
        let steps = read::steps_of_run(pool, &run_id).await?;
        runs.push(ExportedRun {
            current: current == Some(run_id.as_str()),
            steps: steps.into_iter().map(StepView::from).collect(),
            id: run_id,
            number,
            started_at,
            finished_at,
        });
    }
    Ok(runs)
}

async fn cost(
    pool: &SqlitePool,
    id: &TaskId,
    steps: &[&StepView],
) -> Result<ExportedCost, StoreError> {
    // Dollars and grants as the budget reads them; the rest summed from the same steps.
    let spend = spend::task_spend(pool, id).await?;
    let mut cost = ExportedCost {
        cost_usd: spend.spent_usd,
        allowed_usd: spend.allowed_usd,
        ..ExportedCost::default()
    };
    for agent in steps.iter().filter_map(|s| s.agent.as_ref()) {
        cost.agent_steps += 1;
        cost.input_tokens += agent.input_tokens;
        cost.output_tokens += agent.output_tokens;
        cost.turns += u64::from(agent.turns);
        cost.tool_calls += u64::from(agent.tool_calls);
        cost.denied += u64::from(agent.denied);
    }
    Ok(cost)
}

fn escalation(r: EscalationRecord) -> ExportedEscalation {
    let q = r.question;
    ExportedEscalation {
        id: q.id.0,
        step_id: q.step_id,
        kind: q.kind,
        question: q.question,
        options: q.options,
        default: q.default,
        risk: q.risk,
        reason: q.reason,
        skill: q.skill,
        workflow: q.workflow,
        detail: q.detail,
        proposal: q.proposal.map(json_or_text),
        batch: q.batch,
        created_at: q.created_at,
        deadline: q.deadline,
        answered_at: r.answered_at,
        choice: r.choice,
        decided_by: r.decided_by,
        consumed_at: r.consumed_at,
    }
}

async fn events(pool: &SqlitePool, id: &TaskId) -> Result<Vec<ExportedEvent>, StoreError> {
    let rows: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT seq, at, kind, payload FROM events WHERE task_id = ? ORDER BY seq")
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, at, kind, payload)| ExportedEvent {
            seq,
            at,
            kind,
            payload: json_or_text(payload),
        })
        .collect())
}

async fn logs(pool: &SqlitePool, id: &TaskId) -> Result<Vec<ExportedLog>, StoreError> {
    let rows: Vec<(i64, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT seq, at, level, step_id, message FROM logs WHERE task_id = ? ORDER BY seq",
    )
    .bind(id.as_str())
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, at, level, step_id, message)| ExportedLog {
            seq,
            at,
            level,
            step_id,
            message,
        })
        .collect())
}

async fn worktree(pool: &SqlitePool, id: &TaskId) -> Result<Option<ExportedWorktree>, StoreError> {
    let Some(w) = worktrees::read::get(pool, id).await? else {
        return Ok(None);
    };
    let merges = worktrees::read::merges_of_task(pool, id).await?;
    Ok(Some(ExportedWorktree { record: w, merges }))
}
