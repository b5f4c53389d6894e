//! Walking the workflow: sequential steps, `if`, parallel blocks, decide steps, and closing the
//! steps left over when a task ends early.

use futures_util::future::join_all;

use super::ask::Question;
use super::context::context;
use super::{Halt, Run};
use crate::definitions::workflow::{Decide, Plan, Step, StepKind};
use crate::policy::{Outcome, Query};
use crate::protocol::{DecisionKind, EngineEvent, StepStatus, TaskId};
use crate::store::escalations::EscalationOp;
use crate::store::{StepRow, StoreError, WriteOp};
use crate::time::now_rfc3339;

/// `Ok(None)`: every step done; `Ok(Some(id))`: step `id` failed the task; `Err`: halted.
pub(crate) type WalkOutcome = Result<Option<String>, Halt>;

/// The pending rows of a new run, in workflow order.
pub(crate) fn initial_rows(task_id: &TaskId, run_id: &str, plan: &Plan) -> Vec<StepRow> {
    plan.workflow
        .flat_steps()
        .into_iter()
        .enumerate()
        .map(|(ord, (step, parent))| StepRow {
            run_id: run_id.to_string(),
            id: step.id.clone(),
            task_id: task_id.clone(),
            ord: ord as i64,
            parent: parent.map(str::to_string),
            skill: step.label().to_string(),
            status: StepStatus::Pending,
            attempts: 0,
            exit_code: None,
            output: None,
            stderr: None,
            error: None,
            choice: None,
            started_at: None,
            finished_at: None,
            agent: None,
        })
        .collect()
}

impl Run<'_> {
    /// Why the run must stop now, if it must.
    pub(crate) fn halt(&self) -> Option<Halt> {
        if self.cancel.is_cancelled() {
            Some(Halt::Cancelled)
        } else if self.stop.is_cancelled() {
            Some(Halt::Interrupted)
        } else {
            None
        }
    }

    /// Commits a step's new state with the events that announce it.
    pub(crate) async fn save(
        &self,
        row: &StepRow,
        events: Vec<EngineEvent>,
    ) -> Result<(), StoreError> {
        let mut ops = vec![WriteOp::UpsertStep(row.clone())];
        ops.extend(events.into_iter().map(WriteOp::Event));
        self.ctx.write(ops).await
    }

    fn finished_event(&self, row: &StepRow) -> EngineEvent {
        EngineEvent::StepFinished {
            task_id: self.task.id.clone(),
            step_id: row.id.clone(),
            status: row.status,
            exit_code: row.exit_code,
        }
    }

    /// Marks a step finished with `status` and commits it with `extra` (an answer consumed).
    pub(crate) async fn close_step_with(
        &self,
        row: &mut StepRow,
        status: StepStatus,
        extra: Option<WriteOp>,
    ) -> Result<(), StoreError> {
        row.status = status;
        row.finished_at = Some(now_rfc3339());
        let mut ops = vec![WriteOp::UpsertStep(row.clone())];
        ops.extend(extra);
        ops.push(self.withdraw(row));
        ops.push(WriteOp::Event(self.finished_event(row)));
        self.ctx.write(ops).await
    }

    /// Closes the questions a finished step left open (asked before a restart, then decided
    /// another way, e.g. by a rule added meanwhile): nobody needs to answer them any more.
    fn withdraw(&self, row: &StepRow) -> WriteOp {
        WriteOp::Escalation(EscalationOp::Withdraw {
            task_id: self.task.id.clone(),
            step_id: Some(row.id.clone()),
            at: now_rfc3339(),
        })
    }

    /// Marks a step finished with `status` and commits it.
    pub(crate) async fn close_step(
        &self,
        row: &mut StepRow,
        status: StepStatus,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        row.status = status;
        if error.is_some() {
            row.error = error;
        }
        row.finished_at = Some(now_rfc3339());
        let ops = vec![
            WriteOp::UpsertStep(row.clone()),
            self.withdraw(row),
            WriteOp::Event(self.finished_event(row)),
        ];
        self.ctx.write(ops).await
    }

    pub(crate) async fn run_steps(&mut self) -> Result<WalkOutcome, StoreError> {
        let steps = self.plan.workflow.steps.clone();
        for step in &steps {
            if let Some(halt) = self.halt() {
                return Ok(Err(halt));
            }
            let Some(row) = self.rows.get(&step.id).cloned() else {
                continue;
            };
            let (row, halt) = if row.status.is_finished() {
                (row, None)
            } else {
                let ran = self.run_one(step, row).await?;
                self.note_changes().await?;
                ran
            };
            let failed = row.status == StepStatus::Failed && !step.continue_on_error;
            self.rows.insert(step.id.clone(), row);
            if let Some(halt) = halt {
                return Ok(Err(halt));
            }
            if failed {
                return Ok(Ok(Some(step.id.clone())));
            }
        }
        Ok(Ok(None))
    }

    /// Runs a top-level step (a parallel block runs its children at once).
    async fn run_one(
        &mut self,
        step: &Step,
        mut row: StepRow,
    ) -> Result<(StepRow, Option<Halt>), StoreError> {
        let cv = context(&self.base, &self.plan.workflow, &self.rows);
        match self.condition(step, &cv) {
            Ok(true) => {}
            Ok(false) => {
                if let StepKind::Parallel { steps } = &step.kind {
                    for child in steps {
                        if let Some(mut child_row) = self.rows.get(&child.id).cloned()
                            && !child_row.status.is_finished()
                        {
                            self.close_step(&mut child_row, StepStatus::Skipped, None)
                                .await?;
                            self.rows.insert(child.id.clone(), child_row);
                        }
                    }
                }
                self.close_step(&mut row, StepStatus::Skipped, None).await?;
                return Ok((row, None));
            }
            Err(e) => {
                self.close_step(&mut row, StepStatus::Failed, Some(e))
                    .await?;
                return Ok((row, None));
            }
        }
        match &step.kind {
            StepKind::Skill { .. } => self.skill_step(step, row, &cv).await,
            StepKind::Decide(decide) => {
                let halt = self.decide(step, decide, &cv, &mut row).await?;
                Ok((row, halt))
            }
            StepKind::Parallel { steps } => self.parallel(steps, row, &cv).await,
        }
    }

    fn condition(&self, step: &Step, cv: &minijinja::Value) -> Result<bool, String> {
        match &step.condition {
            None => Ok(true),
            Some(expr) => self
                .ctx
                .templates
                .eval_bool(expr, cv)
                .map_err(|e| format!("cannot evaluate `if: {expr}`: {e}")),
        }
    }

    async fn parallel(
        &mut self,
        children: &[Step],
        mut row: StepRow,
        cv: &minijinja::Value,
    ) -> Result<(StepRow, Option<Halt>), StoreError> {
        row.status = StepStatus::Running;
        row.started_at.get_or_insert_with(now_rfc3339);
        self.save(&row, vec![]).await?;
        let this: &Run = self;
        let work = children.iter().filter_map(|child| {
            let child_row = this.rows.get(&child.id)?.clone();
            if child_row.status.is_finished() {
                return None;
            }
            Some(async move {
                match this.condition(child, cv) {
                    Ok(false) => {
                        let mut r = child_row;
                        this.close_step(&mut r, StepStatus::Skipped, None).await?;
                        Ok((r, None))
                    }
                    Err(e) => {
                        let mut r = child_row;
                        this.close_step(&mut r, StepStatus::Failed, Some(e)).await?;
                        Ok((r, None))
                    }
                    Ok(true) => match &child.kind {
                        StepKind::Decide(decide) => {
                            let mut r = child_row;
                            let halt = this.decide(child, decide, cv, &mut r).await?;
                            Ok((r, halt))
                        }
                        _ => this.skill_step(child, child_row, cv).await,
                    },
                }
            })
        });
        let results: Vec<Result<(StepRow, Option<Halt>), StoreError>> = join_all(work).await;
        let mut halt = None;
        for result in results {
            let (child_row, child_halt) = result?;
            halt = halt.or(child_halt);
            self.rows.insert(child_row.id.clone(), child_row);
        }
        if let Some(halt) = halt.or_else(|| self.halt()) {
            if halt == Halt::Interrupted {
                row.status = StepStatus::Pending;
                self.save(&row, vec![]).await?;
            }
            return Ok((row, Some(halt)));
        }
        let failed = children.iter().any(|c| {
            self.rows
                .get(&c.id)
                .is_some_and(|r| r.status == StepStatus::Failed)
                && !c.continue_on_error
        });
        let (status, error) = if failed {
            (
                StepStatus::Failed,
                Some("a step of this parallel block failed".to_string()),
            )
        } else {
            (StepStatus::Succeeded, None)
        };
        self.close_step(&mut row, status, error).await?;
        Ok((row, None))
    }

    /// A decide step: the policy chooses, or the user does through the inbox (only this step
    /// waits). The choice is the step's `choice`.
    async fn decide(
        &self,
        step: &Step,
        decide: &Decide,
        cv: &minijinja::Value,
        row: &mut StepRow,
    ) -> Result<Option<Halt>, StoreError> {
        // The question is a template, like a `with` value, rendered against the run so far.
        let question = match self.ctx.templates.render(&decide.question, cv) {
            Ok(question) => question,
            Err(e) => {
                let error = format!("cannot render the question: {e}");
                self.close_step(row, StepStatus::Failed, Some(error))
                    .await?;
                return Ok(None);
            }
        };
        let question = question.as_str();
        let query = Query {
            kind: DecisionKind::Decide,
            skill: "decide",
            workflow: Some(&self.plan.workflow.name),
            step: Some(&step.id),
            risk: decide.risk,
        };
        let verdict = self.ctx.policy.current(&self.ctx.problems).check_decision(
            &query,
            question,
            &decide.options,
            &decide.default,
        );
        row.started_at.get_or_insert_with(now_rfc3339);
        let (choice, consumed) = match verdict.outcome {
            Outcome::Choose(choice) => {
                self.record_decision(
                    row,
                    DecisionKind::Decide,
                    question,
                    &decide.options,
                    &choice,
                    &verdict.decided_by,
                    &verdict.reason,
                    decide.risk,
                )
                .await?;
                (choice, None)
            }
            _ => {
                let q = Question {
                    kind: DecisionKind::Decide,
                    question: question.to_string(),
                    options: decide.options.clone(),
                    default: decide.default.clone(),
                    risk: decide.risk,
                    reason: verdict.reason,
                    skill: None,
                    shape: crate::policy::key::step(&self.plan.workflow.name, &step.id),
                    proposal: Some(serde_json::json!({
                        "workflow": self.plan.workflow.name,
                        "step": step.id,
                        "kind": "decide",
                    })),
                    timeout: decide
                        .timeout
                        .map_or(self.ctx.settings.current().escalation.timeout, |t| t.0),
                    detail: None,
                };
                match self.ask(row, q).await? {
                    Ok(answer) => (answer.choice.clone(), answer.consumed()),
                    Err(halt) => {
                        if halt == Halt::Interrupted {
                            row.status = StepStatus::Pending;
                            self.save(row, vec![]).await?;
                        } else {
                            self.close_step(row, StepStatus::Cancelled, Some("cancelled".into()))
                                .await?;
                        }
                        return Ok(Some(halt));
                    }
                }
            }
        };
        row.choice = Some(choice);
        self.close_step_with(row, StepStatus::Succeeded, consumed)
            .await?;
        Ok(None)
    }

    /// Gives every step that did not run the final `status` (skipped or cancelled).
    pub(crate) async fn close_remaining(&mut self, status: StepStatus) -> Result<(), StoreError> {
        let open: Vec<StepRow> = self
            .rows
            .values()
            .filter(|r| !r.status.is_finished())
            .cloned()
            .collect();
        for mut row in open {
            self.close_step(&mut row, status, None).await?;
            self.rows.insert(row.id.clone(), row);
        }
        Ok(())
    }
}
