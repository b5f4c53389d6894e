//! Walking the workflow: sequential steps, `if`, parallel blocks, decide steps, and closing the
//! steps left over when a task ends early.

use futures_util::future::join_all;

use super::context::context;
use super::{Halt, Run};
use crate::engine::workflow::{Decide, Plan, Step, StepKind};
use crate::protocol::{EngineEvent, StepStatus, TaskId, new_decision_id};
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
            error: None,
            choice: None,
            started_at: None,
            finished_at: None,
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
        self.save(row, vec![self.finished_event(row)]).await
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
                self.run_one(step, row).await?
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
                self.decide(decide, &mut row).await?;
                Ok((row, None))
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
                            this.decide(decide, &mut r).await?;
                            Ok((r, None))
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

    /// Takes the declared default and records the decision. (The policy and the inbox decide
    /// here once escalation lands; until then every decision is the default, by `policy`.)
    async fn decide(&self, decide: &Decide, row: &mut StepRow) -> Result<(), StoreError> {
        let now = now_rfc3339();
        row.status = StepStatus::Succeeded;
        row.choice = Some(decide.default.clone());
        row.started_at.get_or_insert_with(|| now.clone());
        row.finished_at = Some(now.clone());
        let reason = format!(
            "risk {}: took the declared default `{}` (this version decides without asking)",
            decide.risk, decide.default
        );
        self.ctx
            .write(vec![
                WriteOp::UpsertStep(row.clone()),
                WriteOp::InsertDecision {
                    id: new_decision_id(),
                    task_id: self.task.id.clone(),
                    step_id: Some(row.id.clone()),
                    question: decide.question.clone(),
                    options: decide.options.clone(),
                    choice: decide.default.clone(),
                    decided_by: "policy".into(),
                    reason,
                    risk: Some(decide.risk.as_str().into()),
                    at: now,
                },
                WriteOp::Event(EngineEvent::DecisionMade {
                    task_id: self.task.id.clone(),
                    step_id: Some(row.id.clone()),
                    choice: decide.default.clone(),
                    decided_by: "policy".into(),
                }),
                WriteOp::Event(self.finished_event(row)),
            ])
            .await
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
