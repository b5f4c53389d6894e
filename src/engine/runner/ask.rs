//! Asking the user: a question goes to the inbox and only the step that asked waits — sibling
//! branches and other tasks go on. The question is committed (with its batch and deadline)
//! before anything announces it; the answer comes through the store, from this process or
//! another (`bosun answer`), or the deadline passes and the declared default is taken.
//!
//! A step that runs again after a restart takes up its open (or answered, not yet acted on)
//! question instead of asking twice, deadline included. An answer the user asked to remember
//! for this task or session is applied without asking, and recorded as `remembered:<scope>`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Halt, Run};
use crate::protocol::{
    DecisionKind, EngineEvent, EscalationId, Risk, StepStatus, TaskStatus, new_decision_id,
};
use crate::store::escalations::{EscalationOp, EscalationRecord, NewEscalation, read};
use crate::store::{StepRow, StoreError, WriteOp};
use crate::time::{format_rfc3339, now_rfc3339, parse_rfc3339};

/// A question for the user.
#[derive(Debug, Clone)]
pub(crate) struct Question {
    pub kind: DecisionKind,
    pub question: String,
    pub options: Vec<String>,
    pub default: String,
    pub risk: Risk,
    /// Why the policy asks rather than decides.
    pub reason: String,
    pub skill: Option<String>,
    /// Near-identical questions share a shape (`policy::key`): they are grouped, one answer
    /// can settle them all, and an answer remembered for one decides the others.
    pub shape: String,
    /// The rule `--remember rule` would write (JSON).
    pub proposal: Option<serde_json::Value>,
    pub timeout: Duration,
    /// What is asked about in full, shown under the question (an agent's tool call and its
    /// input). Not part of what makes two questions the same.
    pub detail: Option<String>,
}

/// The answer, and who gave it.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub choice: String,
    pub decided_by: String,
    /// The question it answers, to be marked consumed with the step's next write.
    pub escalation: Option<EscalationId>,
}

impl Answer {
    /// The op that marks the answer acted on; include it in the write that acts on it.
    pub fn consumed(&self) -> Option<WriteOp> {
        self.escalation.as_ref().map(|id| {
            WriteOp::Escalation(EscalationOp::Consume {
                id: id.clone(),
                at: now_rfc3339(),
            })
        })
    }
}

fn closed_answer(record: &EscalationRecord) -> Option<Answer> {
    match (&record.answered_at, &record.choice, &record.decided_by) {
        (Some(_), Some(choice), Some(by)) if by != "withdrawn" => Some(Answer {
            choice: choice.clone(),
            decided_by: by.clone(),
            escalation: Some(record.question.id.clone()),
        }),
        _ => None,
    }
}

/// Where a new question goes in the inbox.
pub(crate) struct Placement {
    pub batch: i64,
    /// It joins the newest batch, which is still open and not full.
    pub joins: bool,
    /// It interrupts the user: it starts a batch, within `escalation.max_per_hour`.
    pub notify: bool,
}

/// The batch a question asked now joins or starts, and whether it interrupts the user.
pub(crate) async fn place_in_batch(
    reader: &sqlx::SqlitePool,
    limits: &crate::config::EscalationSettings,
) -> Result<Placement, StoreError> {
    let (last, size, open) = read::last_batch(reader).await?;
    let joins = last > 0 && (size as usize) < limits.batch_size && open > 0;
    let batch = if joins { last } else { last + 1 };
    let now = time::OffsetDateTime::now_utc();
    let hour_ago = format_rfc3339(now - time::Duration::hours(1));
    let notify =
        !joins && read::notified_since(reader, &hour_ago).await? < i64::from(limits.max_per_hour);
    Ok(Placement {
        batch,
        joins,
        notify,
    })
}

impl Run<'_> {
    /// Asks the user `q` on behalf of step `row`, and waits for the answer (or the deadline).
    pub(crate) async fn ask(
        &self,
        row: &mut StepRow,
        q: Question,
    ) -> Result<Result<Answer, Halt>, StoreError> {
        let reader = &self.ctx.store.reader;
        let pending =
            read::pending_for_step(reader, &self.task.id, &row.id, q.kind, &q.question).await?;
        let id = match pending {
            Some(record) => match closed_answer(&record) {
                Some(answer) => return Ok(Ok(answer)),
                None => record.question.id,
            },
            None => {
                if let Some((scope, choice)) =
                    read::remembered(reader, q.kind, &q.shape, &self.task.id, &self.ctx.session)
                        .await?
                    && q.options.contains(&choice)
                {
                    return self.remembered(row, &q, scope, choice).await.map(Ok);
                }
                self.open(row, &q).await?
            }
        };
        self.set_waiting(row, true).await?;
        let outcome = self.wait(&id, &q).await;
        self.set_waiting(row, false).await?;
        outcome
    }

    async fn remembered(
        &self,
        row: &StepRow,
        q: &Question,
        scope: String,
        choice: String,
    ) -> Result<Answer, StoreError> {
        let decided_by = format!("remembered:{scope}");
        self.record_decision(
            row,
            q.kind,
            &q.question,
            &q.options,
            &choice,
            &decided_by,
            &format!("the user asked to remember this answer for the {scope}"),
            q.risk,
        )
        .await?;
        Ok(Answer {
            choice,
            decided_by,
            escalation: None,
        })
    }

    /// Commits the question, with its batch and whether it interrupts the user.
    async fn open(&self, row: &StepRow, q: &Question) -> Result<EscalationId, StoreError> {
        let reader = &self.ctx.store.reader;
        let settings = self.ctx.settings.current();
        let _in_order = self.ctx.inbox_open.lock().await;
        let now = time::OffsetDateTime::now_utc();
        let Placement { batch, joins, notify } =
            place_in_batch(reader, &settings.escalation).await?;
        let id = EscalationId::generate();
        let deadline = now + q.timeout;
        let question = NewEscalation {
            id: id.clone(),
            task_id: self.task.id.clone(),
            step_id: Some(row.id.clone()),
            kind: q.kind,
            question: q.question.clone(),
            options: q.options.clone(),
            default: q.default.clone(),
            risk: q.risk,
            reason: q.reason.clone(),
            skill: q.skill.clone(),
            workflow: Some(self.plan.workflow.name.clone()),
            shape: q.shape.clone(),
            proposal: q.proposal.as_ref().map(|p| p.to_string()),
            detail: q.detail.clone(),
            batch,
            notified: notify,
            created_at: format_rfc3339(now),
            deadline: format_rfc3339(deadline),
        };
        let quiet = if !joins && !notify {
            " (past escalation.max_per_hour: queued without notifying)"
        } else {
            ""
        };
        self.ctx
            .write(vec![
                WriteOp::Escalation(EscalationOp::Open(question)),
                WriteOp::Event(EngineEvent::EscalationOpened {
                    task_id: self.task.id.clone(),
                    step_id: Some(row.id.clone()),
                    escalation_id: id.clone(),
                    batch,
                    notify,
                }),
                WriteOp::Log {
                    level: "info",
                    task_id: Some(self.task.id.clone()),
                    step_id: Some(row.id.clone()),
                    message: format!(
                        "asked the user (escalation {id}, batch {batch}): {}{quiet}",
                        q.question
                    ),
                },
            ])
            .await?;
        tracing::info!(task = %self.task.id, step = %row.id, escalation = %id, batch, notify, "question for the user: {}", q.question);
        Ok(id)
    }

    /// Marks the step (and, for the first waiting step, the task) waiting, or back to running.
    async fn set_waiting(&self, row: &mut StepRow, waiting: bool) -> Result<(), StoreError> {
        row.status = if waiting {
            StepStatus::Waiting
        } else {
            StepStatus::Running
        };
        row.started_at.get_or_insert_with(now_rfc3339);
        let mut ops = vec![WriteOp::UpsertStep(row.clone())];
        let others = if waiting {
            self.waiting.fetch_add(1, Ordering::SeqCst)
        } else {
            self.waiting.fetch_sub(1, Ordering::SeqCst) - 1
        };
        if others == 0 {
            ops.push(WriteOp::SetTaskStatus {
                id: self.task.id.clone(),
                status: if waiting {
                    TaskStatus::Waiting
                } else {
                    TaskStatus::Running
                },
                error: None,
                finished_at: None,
            });
        }
        self.ctx.write(ops).await
    }

    /// Waits until the question is closed, closing it with its default at the deadline.
    async fn wait(
        &self,
        id: &EscalationId,
        q: &Question,
    ) -> Result<Result<Answer, Halt>, StoreError> {
        let mut changes = self.ctx.changes.subscribe();
        loop {
            let Some(record) = read::get(&self.ctx.store.reader, id).await? else {
                return Err(StoreError::Corrupt(format!("escalation {id} vanished")));
            };
            if let Some(answer) = closed_answer(&record) {
                return Ok(Ok(answer));
            }
            if !record.is_open() {
                // Withdrawn under us: the task is ending.
                return Ok(Err(self.halt().unwrap_or(Halt::Cancelled)));
            }
            let deadline = parse_rfc3339(&record.question.deadline)
                .unwrap_or_else(time::OffsetDateTime::now_utc);
            let left = deadline - time::OffsetDateTime::now_utc();
            if left <= time::Duration::ZERO {
                let close = EscalationOp::Close {
                    id: id.clone(),
                    choice: record.question.default.clone(),
                    decided_by: "timeout".into(),
                    reason: format!(
                        "no answer within {}: took the declared default `{}`",
                        humantime::format_duration(q.timeout),
                        record.question.default
                    ),
                    decision_id: new_decision_id(),
                    at: now_rfc3339(),
                };
                let reason = match &close {
                    EscalationOp::Close { reason, .. } => reason.clone(),
                    _ => String::new(),
                };
                let closed = self.closed_event(id, &record.question.default, "timeout");
                match self
                    .ctx
                    .write(vec![WriteOp::Escalation(close), WriteOp::Event(closed)])
                    .await
                {
                    Ok(()) => {
                        let q = &record.question;
                        let step = q.step_id.as_deref().unwrap_or_default();
                        self.audit_decision(
                            step,
                            q.kind,
                            &q.question,
                            &q.default,
                            "timeout",
                            &reason,
                            Some(id),
                        );
                        continue;
                    }
                    // Answered just before the deadline: the next look finds the answer.
                    Err(StoreError::Conflict(_)) => continue,
                    Err(e) => return Err(e),
                }
            }
            let left = Duration::try_from(left).unwrap_or_default();
            tokio::select! {
                _ = changes.changed() => {}
                () = tokio::time::sleep(left) => {}
                () = self.stop.cancelled() => {
                    return Ok(Err(self.halt().unwrap_or(Halt::Interrupted)));
                }
            }
        }
    }

    fn closed_event(&self, id: &EscalationId, choice: &str, by: &str) -> EngineEvent {
        EngineEvent::EscalationClosed {
            task_id: self.task.id.clone(),
            escalation_id: id.clone(),
            choice: Some(choice.to_string()),
            decided_by: by.to_string(),
        }
    }

    /// Appends a decision to the audit log.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn audit_decision(
        &self,
        step: &str,
        kind: DecisionKind,
        question: &str,
        choice: &str,
        decided_by: &str,
        reason: &str,
        escalation: Option<&EscalationId>,
    ) {
        let serde_json::Value::Object(entry) = serde_json::json!({
            "kind": "decision",
            "decision": kind.as_str(),
            "task_id": self.task.id,
            "step_id": step,
            "question": question,
            "choice": choice,
            "decided_by": decided_by,
            "reason": reason,
            "escalation_id": escalation,
        }) else {
            return;
        };
        self.ctx.audit.record(entry);
    }

    /// Records a decision made without asking (policy, rule or remembered answer).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn record_decision(
        &self,
        row: &StepRow,
        kind: DecisionKind,
        question: &str,
        options: &[String],
        choice: &str,
        decided_by: &str,
        reason: &str,
        risk: Risk,
    ) -> Result<(), StoreError> {
        self.ctx
            .write(vec![
                WriteOp::InsertDecision {
                    kind,
                    id: new_decision_id(),
                    task_id: self.task.id.clone(),
                    step_id: Some(row.id.clone()),
                    question: question.to_string(),
                    options: options.to_vec(),
                    choice: choice.to_string(),
                    decided_by: decided_by.to_string(),
                    reason: reason.to_string(),
                    risk: Some(risk.as_str().into()),
                    at: now_rfc3339(),
                },
                WriteOp::Event(EngineEvent::DecisionMade {
                    task_id: self.task.id.clone(),
                    step_id: Some(row.id.clone()),
                    choice: choice.to_string(),
                    decided_by: decided_by.to_string(),
                }),
            ])
            .await?;
        self.audit_decision(&row.id, kind, question, choice, decided_by, reason, None);
        Ok(())
    }
}
