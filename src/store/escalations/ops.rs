//! Changes to the inbox, applied by the writer inside a request's transaction.

use sqlx::SqliteConnection;

use super::{NewEscalation, Scope};
use crate::protocol::{DecisionKind, EscalationId, TaskId};
use crate::store::StoreError;

/// One change to the inbox.
#[derive(Debug, Clone)]
pub enum EscalationOp {
    Open(NewEscalation),
    /// Closes an open question with the user's (or the deadline's) choice and records the
    /// decision; conflicts when the question is already closed.
    Close {
        id: EscalationId,
        choice: String,
        /// `user` or `timeout`.
        decided_by: String,
        reason: String,
        decision_id: String,
        at: String,
    },
    /// The runner acted on the outcome.
    Consume {
        id: EscalationId,
        at: String,
    },
    /// Closes the open questions of a task (or one of its steps) that no longer need answers.
    Withdraw {
        task_id: TaskId,
        step_id: Option<String>,
        at: String,
    },
    Remember {
        id: String,
        scope: Scope,
        task_id: Option<TaskId>,
        session: Option<String>,
        kind: DecisionKind,
        shape: String,
        choice: String,
        escalation_id: EscalationId,
        at: String,
    },
    SetMeta {
        key: String,
        value: String,
    },
}

impl EscalationOp {
    pub(crate) async fn apply(&self, conn: &mut SqliteConnection) -> Result<u64, StoreError> {
        let affected = match self {
            EscalationOp::Open(e) => sqlx::query(
                "INSERT INTO escalations (id, task_id, step_id, kind, question, options, \
                 default_choice, risk, reason, skill, workflow, shape, proposal, batch, notified, \
                 created_at, deadline, detail) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(e.id.as_str())
            .bind(e.task_id.as_str())
            .bind(&e.step_id)
            .bind(e.kind.as_str())
            .bind(&e.question)
            .bind(serde_json::to_string(&e.options).unwrap_or_else(|_| "[]".into()))
            .bind(&e.default)
            .bind(e.risk.as_str())
            .bind(&e.reason)
            .bind(&e.skill)
            .bind(&e.workflow)
            .bind(&e.shape)
            .bind(&e.proposal)
            .bind(e.batch)
            .bind(e.notified)
            .bind(&e.created_at)
            .bind(&e.deadline)
            .bind(&e.detail)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            EscalationOp::Close {
                id,
                choice,
                decided_by,
                reason,
                decision_id,
                at,
            } => {
                let closed = sqlx::query(
                    "UPDATE escalations SET answered_at = ?, choice = ?, decided_by = ? \
                     WHERE id = ? AND answered_at IS NULL",
                )
                .bind(at)
                .bind(choice)
                .bind(decided_by)
                .bind(id.as_str())
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if closed == 0 {
                    return Err(StoreError::Conflict(format!(
                        "escalation {id} is already closed"
                    )));
                }
                sqlx::query(
                    "INSERT INTO decisions (id, task_id, step_id, question, options, choice, \
                     decided_by, reason, risk, asked_at, at, kind, escalation_id) \
                     SELECT ?, task_id, step_id, question, options, ?, ?, ?, risk, created_at, ?, \
                     kind, id FROM escalations WHERE id = ?",
                )
                .bind(decision_id)
                .bind(choice)
                .bind(decided_by)
                .bind(reason)
                .bind(at)
                .bind(id.as_str())
                .execute(&mut *conn)
                .await?
                .rows_affected()
            }
            EscalationOp::Consume { id, at } => sqlx::query(
                "UPDATE escalations SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL",
            )
            .bind(at)
            .bind(id.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            EscalationOp::Withdraw {
                task_id,
                step_id,
                at,
            } => sqlx::query(
                "UPDATE escalations SET answered_at = ?1, decided_by = 'withdrawn', \
                 consumed_at = ?1 WHERE task_id = ?2 AND (?3 IS NULL OR step_id = ?3) \
                 AND answered_at IS NULL",
            )
            .bind(at)
            .bind(task_id.as_str())
            .bind(step_id)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            EscalationOp::Remember {
                id,
                scope,
                task_id,
                session,
                kind,
                shape,
                choice,
                escalation_id,
                at,
            } => sqlx::query(
                "INSERT INTO remembered (id, scope, task_id, session, kind, shape, choice, \
                 escalation_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(scope.as_str())
            .bind(task_id.as_ref().map(TaskId::as_str))
            .bind(session)
            .bind(kind.as_str())
            .bind(shape)
            .bind(choice)
            .bind(escalation_id.as_str())
            .bind(at)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            EscalationOp::SetMeta { key, value } => sqlx::query(
                "INSERT INTO meta (key, value) VALUES (?, ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
        };
        Ok(affected)
    }
}
