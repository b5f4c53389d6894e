//! Verbs about tasks: submit, tasks, show, cancel, decisions. They work against the project's
//! database directly, whether or not an engine runs; a running engine notices within its poll
//! interval.

use std::collections::BTreeMap;
use std::time::Duration;

use super::format::{Lines, decisions_table, print_json, task_detail, task_table};
use super::{CliError, CliResult, Project};
use crate::engine::cached_task;
use crate::engine::cancel::{CancelOutcome, close_cancelled, request_cancel};
use crate::engine::lock::live_holder;
use crate::engine::submit::{SubmitError, prepare, queue_one_shot};
use crate::engine::wake::nudge;
use crate::mirror::Mirror;
use crate::protocol::{Priority, SubmitRequest, TaskId, TaskJson, TaskStatus};
use crate::store::{OneShot, Store, read};

pub(super) async fn open_store(project: &Project) -> Result<Store, CliError> {
    ensure_state_dirs(project)?;
    Ok(Store::open(&project.paths.database()).await?)
}

fn ensure_state_dirs(project: &Project) -> Result<(), CliError> {
    project.paths.ensure_state_dirs().map_err(|e| {
        CliError::failed(format!(
            "cannot prepare {}: {e}",
            project.paths.bosun_dir.display()
        ))
    })
}

pub(super) async fn resolve(store: &Store, text: &str) -> Result<TaskId, CliError> {
    match read::resolve_task_id(&store.reader, text).await {
        Ok(Some(id)) => Ok(id),
        // A task id that names nothing is bad input, as docs/cli.md says: exit 2.
        Ok(None) => Err(CliError::bad_input(format!(
            "no task `{text}` in this project"
        ))),
        Err(crate::store::StoreError::Conflict(m)) => Err(CliError::bad_input(m)),
        Err(e) => Err(e.into()),
    }
}

/// Where a submitted task runs: `--isolation` and `--base`.
pub struct Placement {
    pub isolation: Option<crate::protocol::Isolation>,
    pub base: Option<String>,
}

pub async fn submit(
    project: &Project,
    workflow: Option<String>,
    inputs: Vec<String>,
    priority: Priority,
    placement: Placement,
    description: String,
) -> CliResult {
    let mut parsed = BTreeMap::new();
    for pair in inputs {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::bad_input(format!("--input `{pair}` is not KEY=VALUE")))?;
        parsed.insert(key.trim().to_string(), value.to_string());
    }
    let request = SubmitRequest {
        description,
        workflow,
        inputs: parsed,
        priority,
        isolation: placement.isolation,
        base: placement.base,
    };
    let failed = |e| match e {
        SubmitError::Invalid(m) => CliError::bad_input(m),
        SubmitError::Store(e) => e.into(),
    };
    let task = prepare(&project.paths, &project.settings, &request).map_err(failed)?;
    // What was chosen goes to stderr: stdout stays the id alone, for scripts.
    if request.workflow.is_none() {
        eprintln!("workflow {}: {}", task.workflow, task.workflow_reason);
    }
    // One connection, no read pool or writer actor: a submission is one transaction.
    ensure_state_dirs(project)?;
    let mut store = OneShot::open(&project.paths.database()).await?;
    // Durable (committed, WAL synced) when this returns, before the id is printed.
    let result = queue_one_shot(&mut store, task).await;
    let engine_listening = nudge(&project.paths);
    // A running engine keeps the WAL in check; without one, this process tidies it.
    store.close(!engine_listening).await;
    println!("{}", result.map_err(failed)?);
    Ok(())
}

pub async fn list(
    project: &Project,
    json: bool,
    status: Option<TaskStatus>,
    limit: i64,
) -> CliResult {
    let store = open_store(project).await?;
    let tasks = read::list_tasks(&store.reader, status, limit).await?;
    store.close().await;
    if json {
        print_json(&tasks.into_iter().map(TaskJson::new).collect::<Vec<_>>())
    } else {
        task_table(&tasks)
    }
}

pub async fn show(
    project: &Project,
    task: &str,
    json: bool,
    full: bool,
    step: Option<&str>,
) -> CliResult {
    let store = open_store(project).await?;
    let id = resolve(&store, task).await?;
    let mirror = Mirror::new(
        project.settings.cache.redis_url.as_deref(),
        &project.paths.root,
        project.settings.cache.timeout,
    )
    .map_err(CliError::bad_input)?;
    let view = cached_task(&store.reader, mirror.as_ref(), &id).await?;
    store.close().await;
    let mut view = view.ok_or_else(|| CliError::failed(format!("no task `{task}`")))?;
    if let Some(step) = step {
        if !view.steps.iter().any(|s| s.id == step) {
            let ids: Vec<&str> = view.steps.iter().map(|s| s.id.as_str()).collect();
            return Err(CliError::bad_input(format!(
                "task {} has no step `{step}`; its steps: {}",
                view.id,
                ids.join(", ")
            )));
        }
        view.steps.retain(|s| s.id == step);
    }
    if json {
        print_json(&TaskJson::new(view))
    } else {
        task_detail(&view, if full { Lines::All } else { Lines::Last(5) })
    }
}

pub async fn dismiss(project: &Project, task: &str) -> CliResult {
    let store = open_store(project).await?;
    let id = resolve(&store, task).await?;
    let result = crate::engine::dismiss::dismiss(&store, &id).await;
    store.close().await;
    match result {
        Ok(()) => {
            println!("dismissed {id}");
            Ok(())
        }
        Err(crate::store::StoreError::Conflict(why)) => Err(CliError::failed(why)),
        Err(e) => Err(e.into()),
    }
}

pub async fn cancel(project: &Project, task: &str) -> CliResult {
    let store = open_store(project).await?;
    let id = resolve(&store, task).await?;
    let result = cancel_inner(project, &store, &id).await;
    store.close().await;
    result
}

async fn cancel_inner(project: &Project, store: &Store, id: &TaskId) -> CliResult {
    match request_cancel(store, id).await? {
        CancelOutcome::Cancelled => println!("{id} cancelled"),
        CancelOutcome::AlreadyFinished(status) => {
            return Err(CliError::failed(format!(
                "{id} already finished ({status})"
            )));
        }
        CancelOutcome::Requested => {
            nudge(&project.paths);
            wait_cancelled(project, store, id).await?;
            println!("{id} cancelled");
        }
    }
    Ok(())
}

/// Waits until the engine running the task closes it, or closes it here if no engine runs it
/// (none did, or the one that did has stopped meanwhile).
async fn wait_cancelled(project: &Project, store: &Store, id: &TaskId) -> CliResult {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if live_holder(&project.paths.database()).await?.is_none() {
            // No engine: end whatever a dead engine left running, and close the task here.
            close_cancelled(store, id).await?;
            return Ok(());
        }
        match read::get_task_record(&store.reader, id)
            .await?
            .map(|t| t.status)
        {
            Some(TaskStatus::Cancelled) => return Ok(()),
            Some(other) if other.is_terminal() => {
                return Err(CliError::failed(format!(
                    "{id} finished ({other}) before it could be cancelled"
                )));
            }
            _ => {}
        }
        if tokio::time::Instant::now() > deadline {
            return Err(CliError::failed(format!(
                "{id}: cancel requested, but the engine has not confirmed it yet"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn decisions(project: &Project, task: Option<&str>, json: bool) -> CliResult {
    let store = open_store(project).await?;
    let id = match task {
        Some(t) => Some(resolve(&store, t).await?),
        None => None,
    };
    let list = crate::store::ledger::list_decisions(&store.reader, id.as_ref()).await?;
    store.close().await;
    if json {
        print_json(&list)
    } else {
        decisions_table(&list)
    }
}
