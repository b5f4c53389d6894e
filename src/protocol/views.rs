//! Read-only views of durable state, shaped as the JSON contract of DESIGN.md §3
//! (fields may be added, never renamed).

use serde::{Deserialize, Serialize};

use super::{EscalationId, Priority, Risk, StepStatus, TaskId, TaskStatus};

/// A task with its steps (the steps of its latest run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: TaskId,
    pub description: String,
    pub workflow: String,
    /// Why this workflow was chosen (named, matched by description, or the default).
    pub workflow_reason: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    #[schema(value_type = Object)]
    pub inputs: serde_json::Map<String, serde_json::Value>,
    /// Why the task failed or was cancelled, when it did.
    pub error: Option<String>,
    /// What its agent steps spent, in dollars.
    #[serde(default)]
    pub cost_usd: f64,
    pub steps: Vec<StepView>,
    /// The worktree it runs in, when it has one (DESIGN.md §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree: Option<super::WorktreeView>,
}

/// One step of a task's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepView {
    pub id: String,
    /// The skill it runs; `parallel` or `decide` for the other kinds of step.
    pub skill: String,
    /// The parallel block this step belongs to, if any.
    pub parent: Option<String>,
    pub status: StepStatus,
    pub attempts: i64,
    pub exit_code: Option<i64>,
    pub output: Option<String>,
    /// The tail of its stderr (`output` is stdout's).
    #[serde(default)]
    pub stderr: Option<String>,
    /// Milliseconds of its duration spent waiting on questions (an answer, a deadline) rather
    /// than working; absent when it never waited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_ms: Option<i64>,
    pub error: Option<String>,
    pub choice: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// An agent step's session and spending (DESIGN.md §8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentView>,
}

/// An agent step's session and what it spent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentView {
    pub adapter: String,
    /// Committed before the agent starts: a restart resumes this session.
    pub session_id: Option<String>,
    pub model: Option<String>,
    pub turns: u32,
    pub cost_usd: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub tool_calls: u32,
    pub denied: u32,
    /// The tool call in progress (`Bash: cargo test`), while there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Why it is paused (its API's retries ran out), while it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<String>,
    /// What the current session had cost when it last reported (an agent reports a resumed
    /// session's total, so only the difference is new spending).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub session_cost_usd: f64,
    /// API calls the agent retried (429, 529, …), over every session of the step.
    #[serde(default)]
    pub retries: u32,
    /// How far the user let agents spend past a budget when this step asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<BudgetGrant>,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Spending the user allowed past `budget.task_usd` or `budget.day_usd`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BudgetGrant {
    /// The task's agents may spend up to this much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_usd: Option<f64>,
    /// Agents may spend up to this much on `day` (a UTC date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
}

/// What agent steps spent (DESIGN.md §8): a task's over its steps, or every task's over a day
/// or all time (`bosun stats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentTotals {
    /// The agent steps counted.
    pub steps: i64,
    pub cost_usd: f64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub turns: i64,
    pub tool_calls: i64,
    /// Tool calls the policy or the user denied.
    pub denied: i64,
}

/// Agent spending today (the UTC day) and over all time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentStatsView {
    pub today: AgentTotals,
    pub all_time: AgentTotals,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub id: String,
    pub task_id: TaskId,
    pub step_id: Option<String>,
    pub question: String,
    pub options: Vec<String>,
    pub choice: String,
    pub decided_by: String,
    pub reason: String,
    pub at: String,
    /// What was decided about: a `decide` step, a command about to run, a failed step.
    pub kind: DecisionKind,
    pub risk: Option<Risk>,
    /// The escalation that asked the user, when one did.
    pub escalation_id: Option<EscalationId>,
}

/// What a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    /// A workflow's `decide` step.
    Decide,
    /// The check before a command runs (options `allow`, `deny`).
    Command,
    /// A step that failed after its retries (options `retry`, `skip`, `abort`).
    Failure,
    /// Landing a worktree task's branch: after it succeeded (`merge`, `keep`, `discard`), or
    /// after its merge conflicted (`keep`, `discard`, `rebase`).
    Merge,
}

impl TaskView {
    /// What its agent steps spent.
    pub fn agent_cost(&self) -> f64 {
        self.steps
            .iter()
            .filter_map(|s| s.agent.as_ref())
            .map(|a| a.cost_usd)
            .sum()
    }

    /// What its agent steps spent, with their tokens, turns and tool calls; `None` when it
    /// has no agent step that started.
    pub fn agent_totals(&self) -> Option<AgentTotals> {
        let mut totals: Option<AgentTotals> = None;
        for agent in self.steps.iter().filter_map(|s| s.agent.as_ref()) {
            let t = totals.get_or_insert_with(AgentTotals::default);
            t.steps += 1;
            t.cost_usd += agent.cost_usd;
            t.input_tokens += i64::try_from(agent.input_tokens).unwrap_or(i64::MAX);
            t.output_tokens += i64::try_from(agent.output_tokens).unwrap_or(i64::MAX);
            t.turns += i64::from(agent.turns);
            t.tool_calls += i64::from(agent.tool_calls);
            t.denied += i64::from(agent.denied);
        }
        totals
    }
}

impl StepView {
    /// Seconds it worked and seconds it waited on questions, from its start to its end (or
    /// `now` while it runs); `None` before it started.
    pub fn work_and_wait(&self, now: time::OffsetDateTime) -> Option<(i64, i64)> {
        let start = crate::time::parse_rfc3339(self.started_at.as_deref()?)?;
        let end = self
            .finished_at
            .as_deref()
            .and_then(crate::time::parse_rfc3339)
            .unwrap_or(now);
        let total = (end - start).whole_seconds().max(0);
        let waited = (self.waited_ms.unwrap_or(0).max(0) / 1000).min(total);
        Some((total - waited, waited))
    }
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Decide => "decide",
            DecisionKind::Command => "command",
            DecisionKind::Failure => "failure",
            DecisionKind::Merge => "merge",
        }
    }

    pub fn parse(text: &str) -> Option<DecisionKind> {
        match text {
            "decide" => Some(DecisionKind::Decide),
            "command" => Some(DecisionKind::Command),
            "failure" => Some(DecisionKind::Failure),
            "merge" => Some(DecisionKind::Merge),
            _ => None,
        }
    }
}

/// An open question in the inbox (DESIGN.md §3 `escalation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EscalationView {
    pub id: EscalationId,
    pub task_id: TaskId,
    pub step_id: Option<String>,
    pub question: String,
    pub options: Vec<String>,
    /// Taken when the deadline passes.
    pub default: String,
    pub risk: Risk,
    /// Why the policy asked instead of deciding.
    pub reason: String,
    /// Batches are numbered from 1 and filled oldest first, up to `escalation.batch_size`.
    pub batch: i64,
    pub created_at: String,
    pub deadline: String,
    pub kind: DecisionKind,
    pub skill: Option<String>,
    pub workflow: Option<String>,
    /// Near-identical questions (same kind, skill and command shape) share a group; one
    /// answer with `--all` applies to every open question of the group.
    pub group: String,
    /// The other open questions of the same group.
    pub similar: Vec<EscalationId>,
    /// What an answer remembered for the task or the session would decide too, in words:
    /// the commands of the same shape (`` `node -e …` ``), or the questions of one step.
    #[serde(default)]
    pub covers: Option<String>,
    /// Whether opening its batch interrupted the user (false past `escalation.max_per_hour`).
    pub notified: bool,
    /// What exactly is asked about, when the question's line cannot say it all: an agent's
    /// tool call with its input (the command; the file and its edit, `-` old and `+` new
    /// lines; the URL or query; else the input as JSON). Several lines.
    #[serde(default)]
    pub detail: Option<String>,
}

/// Counts of decisions: the autonomy rate is the share of choices settled without the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatsView {
    pub today: DecisionCounts,
    pub all_time: DecisionCounts,
    pub open_escalations: i64,
    pub tasks: std::collections::BTreeMap<String, i64>,
    /// What agent steps spent today (the UTC day, like `today`'s decisions) and all time.
    #[serde(default)]
    pub agents: AgentStatsView,
}

/// Decisions by who made them, split into choices (what a person would otherwise have decided:
/// `decide` steps, failures, commands a rule or the user judged, remembered answers) and
/// routine checks (commands the policy's default allowed). `decisions = choices + routine`
/// and `choices = autonomous + asked`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionCounts {
    /// Every decision recorded, routine checks included.
    pub decisions: i64,
    /// Choices made by the policy, a rule, or a remembered answer.
    pub autonomous: i64,
    /// Choices answered by the user, or taken by timeout after the user was asked.
    pub asked: i64,
    /// `autonomous / choices`, or `null` when there were no choices.
    pub autonomy_rate: Option<f64>,
    /// Every decision by who made it, routine checks included.
    pub by: std::collections::BTreeMap<String, i64>,
    /// Decisions a person would otherwise have made.
    #[serde(default)]
    pub choices: i64,
    /// Routine checks: commands the policy allowed by its default, with no rule involved.
    #[serde(default)]
    pub routine: i64,
    /// The choices by who made them.
    #[serde(default)]
    pub choices_by: std::collections::BTreeMap<String, i64>,
}

/// A task as `show --json`, `tasks --json` and the API give it: its view, with `agent` (what
/// its agent steps spent, with their tokens, turns and tool calls) when it has agent steps.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TaskJson {
    #[serde(flatten)]
    pub task: TaskView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentTotals>,
}

impl TaskJson {
    pub fn new(task: TaskView) -> TaskJson {
        TaskJson {
            agent: task.agent_totals(),
            task,
        }
    }
}
