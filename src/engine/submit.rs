//! Submitting a task: plan it from the catalogs, then commit it as queued. The CLI (in its own
//! process) and the engine's command handler both come through here, so a submission is
//! validated the same way wherever it comes from.

use crate::config::locate::{AgentBinary, StepLayers};
use crate::config::{ProjectPaths, Settings};
use crate::definitions::skills::load_skills;
use crate::definitions::workflow::agents::missing_agents;
use crate::definitions::workflow::{
    Plan, Programs, ROUTED_ADAPTER, WorkflowCatalog, isolate, load_workflows, make_plan,
};
use crate::diagnostic::Diagnostics;
use crate::protocol::{EngineEvent, Isolation, SubmitRequest, TaskId};
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

/// Validates `request` against the project's current workflows, skills and `settings` (its
/// `path` directories, where a command line's program may be; its agents) and queues it.
pub async fn submit(
    paths: &ProjectPaths,
    settings: &Settings,
    store: &Store,
    request: &SubmitRequest,
) -> Result<TaskId, SubmitError> {
    let task = prepare(paths, settings, request)?;
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
        Some(agent) => {
            // Found as submit's own check and the engine find it: the agent's `env` counts.
            let binary = AgentBinary::locate(
                ROUTED_ADAPTER,
                agent,
                settings,
                StepLayers::default(),
                &paths.root,
            );
            programs.with_agent_at(ROUTED_ADAPTER, &agent.command, binary.found.ok())
        }
        None => programs,
    }
}

/// Plans a submission without touching the store: a refused request leaves no trace. A
/// workflow whose agent steps need an agent binary that cannot be found is refused here, with
/// the step's place in the workflow file, rather than failing at that step later.
pub fn prepare(
    paths: &ProjectPaths,
    settings: &Settings,
    request: &SubmitRequest,
) -> Result<NewTask, SubmitError> {
    let description = request.description.trim();
    if description.is_empty() {
        return Err(SubmitError::Invalid("a task needs a description".into()));
    }
    let skills = load_skills(paths);
    let workflows = load_workflows(paths);
    let programs = programs(paths, settings);
    let planned =
        make_plan(&workflows, &skills, request, &programs).map_err(SubmitError::Invalid)?;
    check_agents(paths, settings, &workflows, &planned.plan)?;
    let mut planned = planned;
    let isolation = request.isolation.unwrap_or(planned.plan.workflow.isolation);
    match isolation {
        Isolation::Worktree => {
            check_repository(paths, request.base.as_deref())?;
            isolate(
                &mut planned.plan,
                request.base.clone(),
                &settings.worktree.setup,
                &skills,
            )
            .map_err(SubmitError::Invalid)?;
        }
        Isolation::None if request.base.is_some() => {
            return Err(SubmitError::Invalid(format!(
                "--base is for a task in a worktree of its own, and workflow `{}` runs in the project's checkout: add --isolation worktree",
                planned.plan.workflow.name
            )));
        }
        Isolation::None => {}
    }
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

/// A task in a worktree needs the project to be in a git checkout with a commit to start
/// from, and its `--base` to name a commit: refused now rather than when it starts.
fn check_repository(paths: &ProjectPaths, base: Option<&str>) -> Result<(), SubmitError> {
    let invalid = |e: crate::worktree::GitError| SubmitError::Invalid(e.to_string());
    let root = crate::worktree::repo_root(&paths.root).map_err(invalid)?;
    match root {
        None => Err(SubmitError::Invalid(format!(
            "a task in a worktree needs a git repository, and {} is not in one",
            paths.root.display()
        ))),
        Some(_) => crate::worktree::resolve_base(&paths.root, base)
            .map(|_| ())
            .map_err(invalid),
    }
}

/// Refuses a plan whose agent steps cannot start their agent here. A look-up on `PATH`, not a
/// run of the agent: submitting stays fast.
fn check_agents(
    paths: &ProjectPaths,
    settings: &Settings,
    workflows: &WorkflowCatalog,
    plan: &Plan,
) -> Result<(), SubmitError> {
    let workflow = &plan.workflow;
    let (file, text) = match workflows.get(&workflow.name) {
        Some(entry) => (entry.source.path().to_path_buf(), entry.text.as_str()),
        None => (format!("workflow `{}`", workflow.name).into(), ""),
    };
    let skill_of = |name: &str| plan.skills.get(name);
    let missing = missing_agents(&file, text, workflow, skill_of, settings, &paths.root);
    Diagnostics(missing)
        .into_result(())
        .map_err(|d| SubmitError::Invalid(d.to_string()))
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
