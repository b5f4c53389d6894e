//! Budgets for agent steps (DESIGN.md §8): before an agent starts or takes its session up
//! again, what the task's agents and the day's agents have spent is compared with
//! `budget.task_usd` and `budget.day_usd`. Past a limit the user is asked (never a silent stop,
//! never a silent overspend); going on grants one more budget's worth, recorded in the step's
//! `agent.grant`, so a restart or a later step does not ask again for the same money. Below
//! the limits the agent is started with what is left (Claude Code's `--max-budget-usd`), so
//! it stops at the first turn past it and the question comes before more is spent.

use super::ask::Question;
use super::{Halt, Run};
use crate::protocol::{BudgetGrant, DecisionKind, Risk};
use crate::store::spend::{self, Spend};
use crate::store::{StepRow, StoreError, WriteOp};
use crate::text::usd;

/// Whether an agent may start.
pub(super) enum BudgetGate {
    /// Start it, with at most this many dollars to spend (`None`: no budget is set).
    Go(Option<f64>),
    /// The user (or the deadline's default) said stop: the step fails with this reason.
    Stop(String),
    Halted(Halt),
}

/// Which budget a question is about.
#[derive(Clone, Copy)]
enum Scope {
    Task,
    Day,
}

impl Scope {
    fn key(self) -> &'static str {
        match self {
            Scope::Task => "budget.task_usd",
            Scope::Day => "budget.day_usd",
        }
    }
}

impl Run<'_> {
    /// Checks both budgets before an agent of step `row` spends more.
    pub(super) async fn budget_gate(&self, row: &mut StepRow) -> Result<BudgetGate, StoreError> {
        let budget = self.ctx.settings.current().budget.clone();
        let reader = &self.ctx.store.reader;
        let mut left: Option<f64> = None;
        let day_start = crate::time::today_start();
        for (scope, cap) in [(Scope::Task, budget.task_usd), (Scope::Day, budget.day_usd)] {
            let Some(cap) = cap else { continue };
            let spend = match scope {
                Scope::Task => spend::task_spend(reader, &self.task.id).await?,
                Scope::Day => spend::day_spend(reader, &day_start).await?,
            };
            let mut allowed = spend.allowed_usd.unwrap_or(cap).max(cap);
            if spend.spent_usd >= allowed {
                match self.ask_budget(row, scope, cap, spend).await? {
                    Ok((Some(granted), consumed)) => {
                        allowed = granted;
                        let grant = row
                            .agent
                            .get_or_insert_with(Default::default)
                            .grant
                            .get_or_insert_with(BudgetGrant::default);
                        match scope {
                            Scope::Task => grant.task_usd = Some(granted),
                            Scope::Day => {
                                grant.day_usd = Some(granted);
                                grant.day = day_start.get(..10).map(str::to_string);
                            }
                        }
                        // The grant and the answer acted on are one commit: a restart neither
                        // loses the grant nor asks again.
                        let mut ops = vec![WriteOp::UpsertStep(row.clone())];
                        ops.extend(consumed);
                        self.ctx.write(ops).await?;
                    }
                    Ok((None, consumed)) => {
                        if let Some(op) = consumed {
                            self.ctx.write(vec![op]).await?;
                        }
                        return Ok(BudgetGate::Stop(format!(
                            "stopped at the budget: {} spent of {} ({})",
                            usd(spend.spent_usd),
                            usd(allowed),
                            scope.key()
                        )));
                    }
                    Err(halt) => return Ok(BudgetGate::Halted(halt)),
                }
            }
            let remaining = (allowed - spend.spent_usd).max(0.0);
            left = Some(left.map_or(remaining, |l| l.min(remaining)));
        }
        Ok(BudgetGate::Go(left))
    }

    /// Asks whether agents may go past `scope`'s budget; `Some(new limit)` when they may, and
    /// the op that marks the answer acted on.
    async fn ask_budget(
        &self,
        row: &mut StepRow,
        scope: Scope,
        cap: f64,
        spend: Spend,
    ) -> Result<Result<(Option<f64>, Option<WriteOp>), Halt>, StoreError> {
        let spent = spend.spent_usd;
        let limit = spend.allowed_usd.unwrap_or(cap).max(cap);
        let next = spent + cap;
        let whose = match scope {
            Scope::Task => "This task's agents have",
            Scope::Day => "Agents have",
        };
        let period = match scope {
            Scope::Task => "",
            Scope::Day => " today",
        };
        let q = Question {
            kind: DecisionKind::Decide,
            question: format!(
                "{whose} spent {}{period}, reaching the limit of {}. Let them go on up to {}?",
                usd(spent),
                usd(limit),
                usd(next)
            ),
            options: vec!["continue".into(), "stop".into()],
            default: "stop".into(),
            risk: Risk::High,
            reason: format!(
                "`{}` is {} in the settings; more would be spent without asking",
                scope.key(),
                usd(cap)
            ),
            skill: None,
            detail: None,
            shape: format!("agent-budget:{}", scope.key()),
            proposal: None,
            timeout: self.ctx.settings.current().escalation.timeout,
        };
        Ok(match self.ask(row, q).await? {
            Err(halt) => Err(halt),
            Ok(answer) => Ok((
                (answer.choice == "continue").then_some(next),
                answer.consumed(),
            )),
        })
    }
}
