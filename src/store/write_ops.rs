//! The changes the writer applies. Each request (a `Vec<WriteOp>`) is atomic: it commits whole
//! or not at all, and a conditional op that finds nothing to change aborts its request with
//! [`StoreError::Conflict`].

use sqlx::SqliteConnection;

use super::{NewTask, StepRow, StoreError};
use crate::protocol::{EngineEvent, TaskId, TaskStatus};

/// One change to durable state.
#[derive(Debug, Clone)]
pub enum WriteOp {
    InsertTask(NewTask),
    /// `queued` → `running` with this run; conflicts unless the task is still queued, no one
    /// asked to cancel it, and `owner` still holds the project's engine lease (an engine that
    /// lost its lease can never claim, even before it notices).
    ClaimTask {
        id: TaskId,
        run_id: String,
        at: String,
        owner: String,
    },
    /// Starts a new run of a claimed task (its steps are inserted separately).
    InsertRun {
        id: String,
        task_id: TaskId,
        number: i64,
        at: String,
    },
    /// Sets a task's final (or waiting/running) status.
    SetTaskStatus {
        id: TaskId,
        status: TaskStatus,
        error: Option<String>,
        finished_at: Option<String>,
    },
    /// Puts an interrupted task back in the queue, keeping its run.
    RequeueTask {
        id: TaskId,
    },
    /// Cancels a task that is still queued; conflicts otherwise.
    CancelQueued {
        id: TaskId,
        at: String,
    },
    /// Flags a task for cancellation by whichever engine runs it.
    RequestCancel {
        id: TaskId,
    },
    /// A failed task the user dismissed from "needs attention".
    DismissTask {
        id: TaskId,
        at: String,
    },
    UpsertStep(StepRow),
    /// Records a step's process right after it started.
    StepProcess {
        run_id: String,
        step_id: String,
        pid: i64,
        proc_start: i64,
    },
    InsertDecision {
        kind: crate::protocol::DecisionKind,
        id: String,
        task_id: TaskId,
        step_id: Option<String>,
        question: String,
        options: Vec<String>,
        choice: String,
        decided_by: String,
        reason: String,
        risk: Option<String>,
        at: String,
    },
    /// A change to the inbox.
    Escalation(super::escalations::EscalationOp),
    /// A change to a task's worktree or the merge queue.
    Worktree(super::worktrees::WorktreeOp),
    /// A change to the API's token records.
    Token(super::tokens::TokenOp),
    /// Deletes a bounded number of old rows (`retention:`).
    Prune(super::prune::PruneOp),
    /// Appended to the event log and broadcast after the commit.
    Event(EngineEvent),
    Log {
        level: &'static str,
        task_id: Option<TaskId>,
        step_id: Option<String>,
        message: String,
    },
}

/// Turns "nothing changed" into a conflict that aborts the request, saying `what`.
pub(super) fn require_change(
    affected: u64,
    what: impl FnOnce() -> String,
) -> Result<u64, StoreError> {
    if affected == 0 {
        Err(StoreError::Conflict(what()))
    } else {
        Ok(affected)
    }
}

impl WriteOp {
    /// Applies a row-changing op. Events and logs are appended by the writer in bulk instead.
    pub(super) async fn apply(&self, conn: &mut SqliteConnection) -> Result<u64, StoreError> {
        let affected = match self {
            WriteOp::InsertTask(t) => sqlx::query(
                "INSERT INTO tasks (id, description, workflow, workflow_reason, plan, status, \
                 priority, inputs, created_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
            )
            .bind(t.id.as_str())
            .bind(&t.description)
            .bind(&t.workflow)
            .bind(&t.workflow_reason)
            .bind(&t.plan)
            .bind(t.priority.rank())
            .bind(&t.inputs)
            .bind(&t.created_at)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WriteOp::ClaimTask { id, run_id, at, owner } => {
                let affected = sqlx::query(
                    "UPDATE tasks SET status = 'running', run_id = ?, \
                     started_at = COALESCE(started_at, ?) \
                     WHERE id = ? AND status = 'queued' AND cancel_requested = 0 \
                     AND EXISTS (SELECT 1 FROM engine_lease WHERE owner = ?)",
                )
                .bind(run_id)
                .bind(at)
                .bind(id.as_str())
                .bind(owner)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                require_change(affected, || {
                    format!("task {id} is no longer queued, or this engine lost its lease")
                })?
            }
            WriteOp::InsertRun { id, task_id, number, at } => sqlx::query(
                "INSERT INTO runs (id, task_id, number, started_at) VALUES (?, ?, ?, ?)",
            )
            .bind(id)
            .bind(task_id.as_str())
            .bind(number)
            .bind(at)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WriteOp::SetTaskStatus { id, status, error, finished_at } => sqlx::query(
                "UPDATE tasks SET status = ?, error = COALESCE(?, error), \
                 finished_at = COALESCE(?, finished_at) WHERE id = ?",
            )
            .bind(status.as_str())
            .bind(error)
            .bind(finished_at)
            .bind(id.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WriteOp::RequeueTask { id } => sqlx::query(
                "UPDATE tasks SET status = 'queued' WHERE id = ? AND status IN ('running', 'waiting')",
            )
            .bind(id.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WriteOp::CancelQueued { id, at } => {
                let affected = sqlx::query(
                    "UPDATE tasks SET status = 'cancelled', finished_at = ?, \
                     error = 'cancelled before it started' WHERE id = ? AND status = 'queued'",
                )
                .bind(at)
                .bind(id.as_str())
                .execute(&mut *conn)
                .await?
                .rows_affected();
                require_change(affected, || format!("task {id} is not queued"))?
            }
            WriteOp::DismissTask { id, at } => {
                let affected = sqlx::query(
                    "UPDATE tasks SET dismissed_at = ? WHERE id = ? AND status = 'failed' \
                     AND dismissed_at IS NULL",
                )
                .bind(at)
                .bind(id.as_str())
                .execute(&mut *conn)
                .await?
                .rows_affected();
                require_change(affected, || {
                    format!("task {id} is not a failed task waiting to be dismissed")
                })?
            }
            WriteOp::RequestCancel { id } => sqlx::query(
                "UPDATE tasks SET cancel_requested = 1 WHERE id = ? \
                 AND status IN ('queued', 'running', 'waiting')",
            )
            .bind(id.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WriteOp::UpsertStep(s) => sqlx::query(
                "INSERT INTO steps (run_id, id, task_id, ord, parent, skill, status, attempts, \
                 exit_code, output, stderr, error, choice, started_at, finished_at, agent) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, \
                 attempts = excluded.attempts, exit_code = excluded.exit_code, \
                 output = excluded.output, stderr = excluded.stderr, error = excluded.error, choice = excluded.choice, \
                 started_at = excluded.started_at, finished_at = excluded.finished_at, \
                 agent = excluded.agent",
            )
            .bind(&s.run_id)
            .bind(&s.id)
            .bind(s.task_id.as_str())
            .bind(s.ord)
            .bind(&s.parent)
            .bind(&s.skill)
            .bind(s.status.as_str())
            .bind(s.attempts)
            .bind(s.exit_code)
            .bind(&s.output)
            .bind(&s.stderr)
            .bind(&s.error)
            .bind(&s.choice)
            .bind(&s.started_at)
            .bind(&s.finished_at)
            .bind(
                s.agent
                    .as_ref()
                    .and_then(|a| serde_json::to_string(a).ok()),
            )
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WriteOp::StepProcess { run_id, step_id, pid, proc_start } => sqlx::query(
                "UPDATE steps SET pid = ?, proc_start = ? WHERE run_id = ? AND id = ?",
            )
            .bind(pid)
            .bind(proc_start)
            .bind(run_id)
            .bind(step_id)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WriteOp::InsertDecision {
                kind,
                id,
                task_id,
                step_id,
                question,
                options,
                choice,
                decided_by,
                reason,
                risk,
                at,
            } => sqlx::query(
                "INSERT INTO decisions (id, task_id, step_id, question, options, choice, \
                 decided_by, reason, risk, asked_at, at, kind) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(task_id.as_str())
            .bind(step_id)
            .bind(question)
            .bind(serde_json::to_string(options).unwrap_or_else(|_| "[]".into()))
            .bind(choice)
            .bind(decided_by)
            .bind(reason)
            .bind(risk)
            .bind(at)
            .bind(at)
            .bind(kind.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            WriteOp::Escalation(op) => op.apply(conn).await?,
            WriteOp::Worktree(op) => op.apply(conn).await?,
            WriteOp::Token(op) => op.apply(conn).await?,
            WriteOp::Prune(op) => op.apply(conn).await?,
            WriteOp::Event(_) | WriteOp::Log { .. } => 0,
        };
        Ok(affected)
    }
}
