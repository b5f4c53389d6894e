//! Workflows that start themselves: the engine's side of the watcher. Changed files are matched
//! against every workflow's `triggers: - watch: [globs]`; each trigger debounces, starts a task
//! on its workflow's last good plan with the changed paths as the `changed_files` input, and
//! treats changes made while its task is in flight as `on_busy` says, without feedback loops
//! (the rules are in [`state`]). Changed definitions are reloaded: workflows and skills here
//! (an invalid edit keeps the last good version), the config and the policy by
//! `engine::reload`.

pub mod plans;
pub mod state;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use self::plans::LastGood;
use self::state::{Action, Taken, TriggerState};
use super::handle::EngineHandle;
use super::runner::RunContext;
use crate::protocol::{EngineEvent, EventEnvelope, TaskId};
use crate::watch::{Batch, TriggerSet, TriggerSpec};

/// A trigger's identity across reloads: its workflow and its place there.
type Key = (String, usize);

pub(super) struct Dispatcher {
    pub ctx: Arc<RunContext>,
    pub handle: EngineHandle,
    pub good: LastGood,
    pub set: TriggerSet,
    pub states: HashMap<Key, TriggerState>,
}

impl Dispatcher {
    pub fn new(ctx: Arc<RunContext>, handle: EngineHandle) -> Dispatcher {
        let mut dispatcher = Dispatcher {
            ctx,
            handle,
            good: LastGood::default(),
            set: TriggerSet::default(),
            states: HashMap::new(),
        };
        dispatcher.reload_workflows();
        dispatcher
    }

    pub async fn run(
        mut self,
        mut batches: mpsc::Receiver<Batch>,
        mut events: broadcast::Receiver<EventEnvelope>,
        stop: CancellationToken,
    ) {
        loop {
            let next = self
                .states
                .values()
                .filter_map(TriggerState::next_deadline)
                .min();
            tokio::select! {
                () = stop.cancelled() => break,
                batch = batches.recv() => match batch {
                    Some(batch) => self.take(batch),
                    None => break,
                },
                event = events.recv() => match event {
                    Ok(envelope) => {
                        if let EngineEvent::TaskFinished { task_id, .. } = &envelope.event {
                            self.ended(task_id);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => self.recheck_in_flight().await,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                () = sleep_until(next) => {}
            }
            self.act().await;
        }
    }

    fn take(&mut self, batch: Batch) {
        let mut workflows_changed = false;
        for definition in &batch.definitions {
            match definition.file_name().and_then(|n| n.to_str()) {
                Some("config.yaml") => super::reload::reload_config(&self.ctx),
                Some("policy.yaml") => super::reload::reload_policy(&self.ctx),
                _ => workflows_changed = true,
            }
        }
        if workflows_changed {
            self.reload_workflows();
            let names: Vec<String> = batch
                .definitions
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            tracing::info!(
                "definitions read again after changes to {}",
                names.join(", ")
            );
        }
        let now = Instant::now();
        for change in &batch.files {
            let path = change.path.to_string_lossy();
            for i in self.set.matching(&change.path) {
                let spec = &self.set.specs()[i];
                let state = self.states.entry(key(spec)).or_default();
                let taken = state.change(&path, change.at, now, spec.debounce, spec.on_busy);
                match taken {
                    Taken::OwnChange => tracing::info!(
                        "{path} changed while `{}` ran on changes of its own: taken as its own, it starts nothing",
                        spec.workflow
                    ),
                    Taken::Dropped => tracing::debug!(
                        "{path} changed while `{}` runs (on_busy: ignore)",
                        spec.workflow
                    ),
                    Taken::Pending | Taken::DuringRun => {}
                }
            }
        }
    }

    /// Reads the workflows and skills again; an invalid one keeps its last good version.
    fn reload_workflows(&mut self) {
        let problems = self.good.reload(&self.ctx.paths);
        for (path, _) in self.ctx.problems.list() {
            let definition = path
                .parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str());
            if matches!(definition, Some("workflows" | "skills")) && !problems.contains_key(&path) {
                self.ctx.problems.clear(&path);
            }
        }
        for (path, message) in problems {
            self.ctx.problems.report(
                &path,
                format!(
                    "{message}\n(the last good version of this workflow keeps running until it is fixed)"
                ),
            );
        }
        self.set = self.good.triggers();
        let live: std::collections::HashSet<Key> = self.set.specs().iter().map(key).collect();
        self.states
            .retain(|k, state| live.contains(k) || state.in_flight().is_some());
    }

    fn ended(&mut self, task: &TaskId) {
        let now = Instant::now();
        for state in self.states.values_mut() {
            state.ended(task, now);
        }
    }

    /// After missed events: asks the store whether the tasks in flight have ended.
    async fn recheck_in_flight(&mut self) {
        let tasks: Vec<TaskId> = self
            .states
            .values()
            .filter_map(|s| s.in_flight().cloned())
            .collect();
        for task in tasks {
            let record = crate::store::read::get_task_record(&self.ctx.store.reader, &task).await;
            if let Ok(Some(record)) = record
                && record.status.is_terminal()
            {
                self.ended(&task);
            }
        }
    }

    /// Does what is due: starts tasks, cancels for `restart`.
    async fn act(&mut self) {
        let now = Instant::now();
        let specs: Vec<TriggerSpec> = self.set.specs().to_vec();
        for spec in specs {
            let Some(state) = self.states.get_mut(&key(&spec)) else {
                continue;
            };
            while let Some(action) = state.due(now, spec.on_busy) {
                match action {
                    Action::Cancel(task) => {
                        tracing::info!(
                            "`{}` changed again while {task} runs: restarting it",
                            spec.workflow
                        );
                        if let Err(e) = self.handle.cancel(task).await {
                            tracing::warn!("could not cancel for a restart: {e}");
                        }
                    }
                    Action::Start {
                        changed,
                        follow_up,
                        self_caused,
                    } => {
                        let reason = reason(&spec, &changed, follow_up);
                        match start(&self.ctx, &self.good, &spec.workflow, &changed, reason).await {
                            Ok(task) => {
                                tracing::info!(
                                    "{task}: `{}` started by changes to {}",
                                    spec.workflow,
                                    changed.join(", ")
                                );
                                if let Some(state) = self.states.get_mut(&key(&spec)) {
                                    state.started(task, self_caused);
                                }
                            }
                            Err(e) => tracing::error!(
                                "the watch trigger of `{}` could not start it: {e}",
                                spec.workflow
                            ),
                        }
                        break;
                    }
                }
            }
        }
    }
}

fn key(spec: &TriggerSpec) -> Key {
    (spec.workflow.clone(), spec.index)
}

/// What `show` says about a triggered task.
fn reason(spec: &TriggerSpec, changed: &[String], follow_up: bool) -> String {
    let shown: Vec<&str> = changed.iter().take(5).map(String::as_str).collect();
    let more = changed.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let when = if follow_up {
        " while its previous run was in flight"
    } else {
        ""
    };
    format!(
        "started by its watch trigger ({}): {}{more} changed{when}",
        spec.globs.join(", "),
        shown.join(", ")
    )
}

/// Queues the task in the store and nudges the scheduler.
async fn start(
    ctx: &RunContext,
    good: &LastGood,
    workflow: &str,
    changed: &[String],
    reason: String,
) -> Result<TaskId, String> {
    let task = good.task(workflow, changed, reason)?;
    let id = crate::engine::submit::queue(&ctx.store, task)
        .await
        .map_err(|e| e.to_string())?;
    crate::engine::wake::nudge(&ctx.paths);
    Ok(id)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
