//! Submitting a task: plan it from the catalogs, then commit it as queued. The CLI (in its own
//! process) and the engine's command handler both come through here, so a submission is
//! validated the same way wherever it comes from.

use crate::config::{ProjectPaths, Settings};
use crate::definitions::skills::load_skills;
use crate::definitions::workflow::{Programs, ROUTED_ADAPTER, load_workflows, make_plan};
use crate::protocol::{EngineEvent, SubmitRequest, TaskId};
use crate::store::{NewTask, OneShot, Store, WriteOp};

/// Why a submission was not queued.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The request is wrong (unknown workflow, invalid YAML, missing input): exit code 2.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Validates `request` against the project's current workflows and skills and queues it.
/// `programs` tells a command line from a request in words (see [`programs`]).
pub async fn submit(
    paths: &ProjectPaths,
    programs: &Programs,
    store: &Store,
    request: &SubmitRequest,
) -> Result<TaskId, SubmitError> {
    let task = prepare(paths, programs, request)?;
    queue(store, task).await
}

/// Where a description's first word is looked up: the project's `path` directories (as the
/// steps get them), then this process's `PATH`; and whether the agent that takes requests in
/// words (`agents.claude-code.command`) is found there.
pub fn programs(paths: &ProjectPaths, settings: &Settings) -> Programs {
    let prefixes: Vec<std::path::PathBuf> =
        settings.path.iter().map(|t| t.0.clone().into()).collect();
    let programs = Programs::from_env(&paths.root, &prefixes);
    match settings.agents.get(ROUTED_ADAPTER) {
        Some(agent) => programs.with_agent(ROUTED_ADAPTER, &agent.command),
        None => programs,
    }
}

/// Plans a submission without touching the store: a refused request leaves no trace.
pub fn prepare(
    paths: &ProjectPaths,
    programs: &Programs,
    request: &SubmitRequest,
) -> Result<NewTask, SubmitError> {
    let description = request.description.trim();
    if description.is_empty() {
        return Err(SubmitError::Invalid("a task needs a description".into()));
    }
    let skills = load_skills(paths);
    let workflows = load_workflows(paths);
    let planned =
        make_plan(&workflows, &skills, request, programs).map_err(SubmitError::Invalid)?;
    let plan = serde_json::to_string(&planned.plan)
        .map_err(|e| SubmitError::Invalid(format!("cannot freeze the plan: {e}")))?;
    Ok(NewTask {
        id: TaskId::generate(),
        description: description.to_string(),
        workflow: planned.plan.workflow.name.clone(),
        workflow_reason: planned.reason,
        plan,
        priority: request.priority,
        inputs: serde_json::Value::Object(planned.inputs).to_string(),
        created_at: crate::time::now_rfc3339(),
    })
}

/// Commits a prepared task as queued; returns once it is durable.
pub async fn queue(store: &Store, task: NewTask) -> Result<TaskId, SubmitError> {
    let (id, ops) = queue_ops(task);
    store.writer.write(ops).await?;
    Ok(id)
}

/// [`queue`] on a one-shot connection (the CLI's `submit`): the same writes, as durable.
pub async fn queue_one_shot(store: &mut OneShot, task: NewTask) -> Result<TaskId, SubmitError> {
    let (id, ops) = queue_ops(task);
    store.write(ops).await?;
    Ok(id)
}

fn queue_ops(task: NewTask) -> (TaskId, Vec<WriteOp>) {
    let id = task.id.clone();
    let workflow = task.workflow.clone();
    let ops = vec![
        WriteOp::InsertTask(task),
        WriteOp::Event(EngineEvent::TaskSubmitted {
            task_id: id.clone(),
            workflow,
        }),
    ];
    (id, ops)
}
