//! The six tools of `bosun mcp`, with their parameters' JSON schemas and descriptions written
//! for a model: submit, read, list and wait on tasks; read the inbox and answer a question. The
//! checks and the wording follow the REST API's (`super::super::tasks`, `inbox`); a wait
//! ends when the task finishes, stops on an open question, or the time is up.

use std::time::Duration;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde::Serialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::params::{AnswerParams, ListParams, NoParams, SubmitParams, TaskParams, WaitParams};
use super::{BosunTools, ToolResult, internal, object};
use crate::engine::answer::AnswerError;
use crate::engine::submit::{SubmitError, prepare};
use crate::protocol::{
    AnswerRequest, Priority, RememberScope, SubmitRequest, TaskJson, TaskStatus, TaskView,
};
use crate::store::escalations::read as questions;
use crate::store::read;

/// The most tasks one list gives, as the REST API.
const MAX_LIMIT: i64 = 1_000;
/// Tasks listed when no limit is given: each carries its steps, so a model's context is spared.
const DEFAULT_LIMIT: i64 = 20;
/// `wait_for_task`'s bounds, in seconds.
const DEFAULT_WAIT: u64 = 60;
const MAX_WAIT: u64 = 600;
/// How often a wait reads the task again when no change is announced.
const WAIT_POLL: Duration = Duration::from_secs(2);

const INSTRUCTIONS: &str = "Bosun runs development tasks for this project in the background: \
each task runs a workflow of steps (shell commands, coding agents), with a policy that asks the \
user before anything risky. Hand work over with submit_task, then wait_for_task (or get_task) to \
see how it went. list_inbox shows the questions waiting for an answer; answer_escalation answers \
one when the user has told you what to choose. Tasks queue while no engine runs (`bosun run` or \
the `bosun` interface starts one).";

/// `submit_task`'s answer.
#[derive(Debug, Serialize)]
struct Submitted {
    task_id: String,
    status: &'static str,
    workflow: String,
    /// Said when no engine runs the project, so the model knows why nothing happens yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

#[tool_router(vis = "pub(super)")]
impl BosunTools {
    /// Queues a task; the engine commits it before this answers.
    #[tool(
        description = "Hand a piece of work to Bosun: it queues a task that runs a workflow \
        (shell commands, coding agents) in the background. Returns {task_id, status, workflow}; \
        then call wait_for_task with the task_id to wait for the outcome, or get_task to look \
        at it. The description is a shell command line (it runs as written) or a request in \
        words.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn submit_task(
        &self,
        Parameters(params): Parameters<SubmitParams>,
        context: RequestContext<RoleServer>,
    ) -> ToolResult {
        if params.description.trim().is_empty() {
            return Err("The description is empty: say what to do.".into());
        }
        let inputs = params
            .inputs
            .into_iter()
            .map(|(k, v)| (k, crate::protocol::input_text(v)))
            .collect();
        let request = SubmitRequest {
            description: params.description,
            workflow: params.workflow.filter(|w| !w.trim().is_empty()),
            inputs,
            priority: params.priority.map_or(Priority::Normal, Priority::from),
            isolation: None,
            base: None,
        };
        // Checked first, as the REST API does: what is wrong with the request is said as it is.
        let task = prepare(&self.paths, &self.settings, &request).map_err(|e| match e {
            SubmitError::Invalid(m) => m,
            SubmitError::Store(e) => internal(e),
        })?;
        let id = self.handle.submit(request).await?;
        let mut entry = self.audit_entry("mcp.submit", &context);
        entry.insert("task_id".into(), id.as_str().into());
        entry.insert("workflow".into(), task.workflow.clone().into());
        self.audit.record(entry);
        let engine = crate::engine::lock::live_holder(&self.paths.database()).await;
        object(Submitted {
            task_id: id.as_str().to_string(),
            status: TaskStatus::Queued.as_str(),
            workflow: task.workflow,
            note: matches!(engine, Ok(None)).then_some(
                "No engine runs this project now: the task waits in the queue until `bosun run` \
                 (or the `bosun` interface) starts.",
            ),
        })
    }

    #[tool(
        description = "Read one task: its status (queued, running, waiting on a question, \
        succeeded, failed, cancelled), its workflow and why it was chosen, its steps with their \
        exit codes and the last lines of their output, its error and cost. The same JSON as \
        `bosun show --json`.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn get_task(&self, Parameters(params): Parameters<TaskParams>) -> ToolResult {
        let id = self.resolve(&params.task_id).await?;
        object(TaskJson::new(self.task(&id).await?))
    }

    #[tool(
        description = "List the project's tasks, newest first, each as get_task gives it. \
        Returns {tasks: [...]}.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_tasks(&self, Parameters(params): Parameters<ListParams>) -> ToolResult {
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(format!(
                "limit must be between 1 and {MAX_LIMIT}, not {limit}."
            ));
        }
        let status = params.status.map(TaskStatus::from);
        let tasks = read::list_tasks(&self.store.reader, status, limit)
            .await
            .map_err(internal)?;
        let tasks: Vec<TaskJson> = tasks.into_iter().map(TaskJson::new).collect();
        object(json!({ "tasks": tasks }))
    }

    #[tool(
        description = "The open questions (escalations) Bosun waits on: a step wants to do \
        something the policy would not decide alone. Each has an id, the task and step, the \
        question, the command or edit asked about (detail), its options, the default taken at \
        its deadline, and why it was asked. Returns {escalations: [...]}, the current batch \
        first, as `bosun inbox --json`.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_inbox(&self, Parameters(_): Parameters<NoParams>) -> ToolResult {
        let open = questions::open(&self.store.reader)
            .await
            .map_err(internal)?;
        object(json!({ "escalations": open }))
    }

    #[tool(
        description = "Answer an open question from list_inbox with one of its options; the \
        waiting step goes on at once. Answer only as the user decided: these questions are \
        asked because the policy wants a person's word. With remember, later questions of the \
        same kind are decided the same way.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn answer_escalation(
        &self,
        Parameters(params): Parameters<AnswerParams>,
        context: RequestContext<RoleServer>,
    ) -> ToolResult {
        let unknown = || {
            format!(
                "There is no question `{}`; list_inbox shows the open ones.",
                params.escalation_id
            )
        };
        let id = questions::resolve_id(&self.store.reader, params.escalation_id.trim())
            .await
            .map_err(internal)?
            .map_err(|_| unknown())?;
        let question = questions::get(&self.store.reader, &id)
            .await
            .map_err(internal)?
            .ok_or_else(unknown)?;
        if !question.is_open() {
            return Err(format!(
                "Question {id} is closed already ({} by {}).",
                question.choice.as_deref().unwrap_or("no answer"),
                question.decided_by.as_deref().unwrap_or("nobody")
            ));
        }
        let request = AnswerRequest {
            escalation: id.as_str().to_string(),
            choice: params.choice,
            all: false,
            remember: params.remember.map(RememberScope::from),
            via: "MCP".into(),
        };
        let outcome = self.handle.answer(request).await.map_err(|e| match e {
            AnswerError::NotAnOption(m) | AnswerError::Failed(m) => m,
        })?;
        let mut entry = self.audit_entry("mcp.answer", &context);
        entry.insert("escalation_id".into(), outcome.id.as_str().into());
        entry.insert("task_id".into(), outcome.task_id.as_str().into());
        entry.insert("choice".into(), outcome.choice.clone().into());
        self.audit.record(entry);
        object(json!({
            "escalation_id": outcome.id.as_str(),
            "task_id": outcome.task_id.as_str(),
            "choice": outcome.choice,
            "also": outcome.also,
            "summary": outcome.summary(),
        }))
    }

    #[tool(
        description = "Wait until a task finishes (succeeded, failed or cancelled) or stops to \
        wait on a question (status waiting: see list_inbox), at most timeout_seconds; then \
        return it as get_task does. A status of queued or running means the time ran out: call \
        again to keep waiting.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn wait_for_task(
        &self,
        Parameters(params): Parameters<WaitParams>,
        cancelled: CancellationToken,
    ) -> ToolResult {
        let timeout = params.timeout_seconds.unwrap_or(DEFAULT_WAIT);
        if timeout > MAX_WAIT {
            return Err(format!(
                "timeout_seconds must be at most {MAX_WAIT}, not {timeout}; call again to wait longer."
            ));
        }
        let id = self.resolve(&params.task_id).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        let mut changes = self.handle.store_changes();
        let mut announced = true;
        loop {
            let task = self.task(&id).await?;
            let settled = task.status.is_terminal() || self.asks(&task).await?;
            if settled || tokio::time::Instant::now() >= deadline || cancelled.is_cancelled() {
                return object(TaskJson::new(task));
            }
            tokio::select! {
                changed = changes.changed(), if announced => announced = changed.is_ok(),
                _ = tokio::time::sleep(WAIT_POLL) => {}
                _ = tokio::time::sleep_until(deadline) => {}
                _ = cancelled.cancelled() => {}
            }
        }
    }
}

impl BosunTools {
    /// Whether `task` waits on an open question. Once answered, it may still read `waiting`
    /// until its engine takes the answer up: that is not a reason to stop waiting.
    async fn asks(&self, task: &TaskView) -> Result<bool, String> {
        if task.status != TaskStatus::Waiting {
            return Ok(false);
        }
        let open = questions::open(&self.store.reader)
            .await
            .map_err(internal)?;
        Ok(open.iter().any(|q| q.task_id == task.id))
    }

    async fn task(&self, id: &crate::protocol::TaskId) -> Result<TaskView, String> {
        self.handle
            .task(id)
            .await
            .map_err(internal)?
            .ok_or_else(|| format!("There is no task {id} in this project."))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for BosunTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("bosun", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }
}
