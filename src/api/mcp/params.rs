//! The parameters of `bosun mcp`'s tools: their JSON schemas (from `schemars`, through
//! `rmcp`) are what the model reads, so every field says what it means and what it accepts.
//! Unknown fields are refused, so a misspelt one is an error the model sees, not ignored.

use std::collections::BTreeMap;

use rmcp::schemars::JsonSchema;
use serde::Deserialize;

use crate::protocol::{Priority, RememberScope, TaskStatus};

/// How urgent a task is: it runs before tasks of lower priority.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "rmcp::schemars")]
pub enum PriorityParam {
    Low,
    Normal,
    High,
    Critical,
}

/// `submit_task`'s parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub struct SubmitParams {
    /// What to do: a shell command line (it runs as written, e.g. `cargo test`), or a request
    /// in words for a coding agent (e.g. "fix the failing parser test").
    pub description: String,
    /// The workflow to run, by name (e.g. `shell`, `rust-ci`, `implement`). Leave it out to let
    /// Bosun choose from the description; get_task then says which it chose and why.
    pub workflow: Option<String>,
    /// The workflow's inputs by name. Values that are not strings are given as JSON text.
    #[serde(default)]
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// low, normal (the default), high or critical.
    pub priority: Option<PriorityParam>,
}

/// `get_task`'s parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub struct TaskParams {
    /// The task's id, as submit_task or list_tasks gave it (`t-…`); a unique prefix will do.
    pub task_id: String,
}

/// A task's status, to filter a list by.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "rmcp::schemars")]
pub enum StatusParam {
    Queued,
    Running,
    Waiting,
    Succeeded,
    Failed,
    Cancelled,
}

/// `list_tasks`'s parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub struct ListParams {
    /// Only tasks in this status. `waiting` means waiting on a question (see list_inbox).
    pub status: Option<StatusParam>,
    /// At most this many tasks, newest first: 20 unless given, at most 1000.
    pub limit: Option<i64>,
}

/// `list_inbox`'s parameters: none.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub struct NoParams {}

/// For how long an answer decides later questions of the same kind too.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "rmcp::schemars")]
pub enum RememberParam {
    /// The rest of this task.
    Task,
    /// Until the engine stops.
    Session,
    /// For good: a rule is written into the project's .bosun/policy.yaml.
    Rule,
}

/// `answer_escalation`'s parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub struct AnswerParams {
    /// The question's id, as list_inbox gives it (`e-…`); a unique prefix will do.
    pub escalation_id: String,
    /// One of the question's `options` (a unique prefix of one, in any case, will do).
    pub choice: String,
    /// Decide later questions of the same kind the same way, without asking: `task`,
    /// `session` or `rule`. Leave it out to answer this question only.
    pub remember: Option<RememberParam>,
}

/// `wait_for_task`'s parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub struct WaitParams {
    /// The task's id, as submit_task gave it; a unique prefix will do.
    pub task_id: String,
    /// How long to wait at most, in seconds: 60 unless given, at most 600.
    pub timeout_seconds: Option<u64>,
}

impl From<PriorityParam> for Priority {
    fn from(p: PriorityParam) -> Priority {
        match p {
            PriorityParam::Low => Priority::Low,
            PriorityParam::Normal => Priority::Normal,
            PriorityParam::High => Priority::High,
            PriorityParam::Critical => Priority::Critical,
        }
    }
}

impl From<StatusParam> for TaskStatus {
    fn from(s: StatusParam) -> TaskStatus {
        match s {
            StatusParam::Queued => TaskStatus::Queued,
            StatusParam::Running => TaskStatus::Running,
            StatusParam::Waiting => TaskStatus::Waiting,
            StatusParam::Succeeded => TaskStatus::Succeeded,
            StatusParam::Failed => TaskStatus::Failed,
            StatusParam::Cancelled => TaskStatus::Cancelled,
        }
    }
}

impl From<RememberParam> for RememberScope {
    fn from(r: RememberParam) -> RememberScope {
        match r {
            RememberParam::Task => RememberScope::Task,
            RememberParam::Session => RememberScope::Session,
            RememberParam::Rule => RememberScope::Rule,
        }
    }
}
