//! The scheduler actor: owns the queue and the set of running tasks, starts tasks while fewer
//! than `max_concurrent_workflows` run, and notices work submitted or cancelled by other
//! processes at once when they nudge it (see `wake`), and otherwise by polling SQLite's
//! `data_version` (microseconds a poll).
//!
//! Invariant: a task is claimed (`queued` → `running`, committed) before its runner starts, and
//! the claim is conditional, so a task cancelled meanwhile by another process is never run, and
//! fenced by the engine's lease, so an engine that lost it never starts a task. Losing the
//! lease stops the engine as a shutdown does. While the disk is full (the store's writer says
//! so) no task is claimed, so the scheduler never waits on a write it chose to make: running
//! tasks go on and their writes wait; it fills again as soon as the mark clears.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::cancel::{CancelOutcome, close_cancelled, request_cancel};
use super::lock::LeaseFence;
use super::queue::TaskQueue;
use super::runner::{RunContext, RunTokens, initial_rows, run_task};
use super::submit::{SubmitError, submit};
use super::wake::WakeListener;
use crate::definitions::workflow::Plan;
use crate::protocol::{Command, EngineEvent, RunId, TaskId, TaskStatus};
use crate::store::{ChangeProbe, StoreError, WriteOp, read};

pub(crate) struct Scheduler {
    pub ctx: Arc<RunContext>,
    pub commands: mpsc::Receiver<Command>,
    pub probe: ChangeProbe,
    /// `None` when the socket could not be bound: polling alone still finds everything.
    pub wake: Option<WakeListener>,
    pub shutdown: CancellationToken,
    pub queue: TaskQueue,
    pub last_seq: i64,
    pub running: HashMap<TaskId, RunTokens>,
    pub tracker: TaskTracker,
    /// Set when a claim failed: the next tick reloads the queue even if nothing changed.
    pub reload: bool,
    /// The project's engine lease: its owner id fences every claim.
    pub lease: LeaseFence,
}

impl Scheduler {
    pub async fn run(mut self) {
        let (finished_tx, mut finished_rx) = mpsc::unbounded_channel::<TaskId>();
        self.refresh().await;
        self.fill(&finished_tx).await;
        let mut tick = tokio::time::interval(self.ctx.settings.current().engine.poll_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut disk_full = self.ctx.store.writer.watch_disk_full();
        loop {
            tokio::select! {
                biased;
                () = self.shutdown.cancelled() => break,
                reason = self.lease.lost() => {
                    tracing::error!(%reason, "this engine no longer holds the project's lease: it claims no more tasks and stops");
                    self.shutdown.cancel();
                    break;
                }
                Some(id) = finished_rx.recv() => {
                    self.running.remove(&id);
                    self.fill(&finished_tx).await;
                }
                Some(command) = self.commands.recv() => {
                    self.command(command).await;
                    self.fill(&finished_tx).await;
                }
                Ok(()) = disk_full.changed() => {
                    // Space came back (or ran out: then `fill` claims nothing).
                    self.fill(&finished_tx).await;
                }
                () = nudged(self.wake.as_ref()) => {
                    self.refresh().await;
                    self.fill(&finished_tx).await;
                }
                _ = tick.tick() => {
                    let changed = self.probe.changed().await.unwrap_or(true);
                    if changed || std::mem::take(&mut self.reload) {
                        self.refresh().await;
                    }
                    // Also without a change: a config reload may have raised the limit.
                    self.fill(&finished_tx).await;
                }
            }
        }
        // Every runner's token is a child of `shutdown`: they are stopping now.
        self.tracker.close();
        self.tracker.wait().await;
        self.probe.close().await;
    }

    async fn command(&mut self, command: Command) {
        if let Some(reason) = self.disk_full() {
            return self.command_on_full_disk(command, &reason);
        }
        match command {
            Command::SubmitTask { request, reply } => {
                let settings = self.ctx.settings.current();
                let result = submit(&self.ctx.paths, &settings, &self.ctx.store, &request).await;
                if result.is_ok() {
                    self.refresh().await;
                }
                let _ = reply.send(result.map_err(|e| match e {
                    SubmitError::Invalid(m) => m,
                    SubmitError::Store(e) => e.to_string(),
                }));
            }
            Command::CancelTask { id, reply } => {
                let result = request_cancel(&self.ctx.store, &id).await;
                let changed = match &result {
                    Ok(CancelOutcome::Cancelled) => {
                        self.queue.remove(&id);
                        true
                    }
                    Ok(CancelOutcome::Requested) => {
                        if let Some(tokens) = self.running.get(&id) {
                            tokens.cancel();
                        }
                        true
                    }
                    Ok(CancelOutcome::AlreadyFinished(_)) | Err(_) => false,
                };
                let _ = reply.send(result.map(|_| changed).map_err(|e| e.to_string()));
            }
        }
    }

    /// A command while the disk is full, answered without a write: a submission is refused;
    /// a running task's processes stop now (it is recorded cancelled once space is free), and a
    /// queued task, which only a write could cancel, stays queued.
    fn command_on_full_disk(&self, command: Command, reason: &str) {
        match command {
            Command::SubmitTask { reply, .. } => {
                let refused = super::disk_full_refusal(reason, "the task was not queued");
                let _ = reply.send(Err(refused));
            }
            Command::CancelTask { id, reply } => {
                let answer = match self.running.get(&id) {
                    Some(tokens) => {
                        tokens.cancel();
                        Ok(true)
                    }
                    None => Err(super::disk_full_refusal(reason, "the task stays queued")),
                };
                let _ = reply.send(answer);
            }
        }
    }

    /// Loads tasks queued since the last look and acts on cancel requests.
    async fn refresh(&mut self) {
        // Steps waiting on an answer look at their question again.
        self.ctx.changes.send_modify(|v| *v = v.wrapping_add(1));
        let reader = &self.ctx.store.reader;
        match read::queued_after(reader, self.last_seq).await {
            Ok(tasks) => {
                for task in tasks {
                    self.last_seq = self.last_seq.max(task.seq);
                    if !self.running.contains_key(&task.id) {
                        self.queue.push(task.id, task.priority, task.seq);
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the queue"),
        }
        match read::cancel_requests(reader).await {
            Ok(ids) => {
                for id in ids {
                    if let Some(tokens) = self.running.get(&id) {
                        tokens.cancel();
                    } else {
                        // Flagged but not running here: queued (an engine stopped while
                        // cancelling it) or stranded. Close it; its claim would be refused.
                        self.queue.remove(&id);
                        if let Err(e) = close_cancelled(&self.ctx.store, &id).await {
                            tracing::error!(task = %id, error = %e, "cannot close a cancelled task");
                        }
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read cancel requests"),
        }
    }

    /// Why the disk is full, while it is.
    fn disk_full(&self) -> Option<String> {
        self.ctx.store.writer.disk_full()
    }

    /// Starts queued tasks while there is room (and the disk is not full).
    async fn fill(&mut self, finished: &mpsc::UnboundedSender<TaskId>) {
        while self.running.len() < self.ctx.settings.current().engine.max_concurrent_workflows
            && !self.lease.is_lost()
            && self.disk_full().is_none()
        {
            let Some(id) = self.queue.pop() else { break };
            match self.claim(&id).await {
                Ok(Some((task, run_id))) => {
                    let tokens = RunTokens::new(&self.shutdown);
                    self.running.insert(id.clone(), tokens.clone());
                    let ctx = self.ctx.clone();
                    let finished = finished.clone();
                    self.tracker.spawn(async move {
                        let stopped = run_task(ctx, task, run_id, tokens).await;
                        tracing::info!(task = %id, outcome = %stopped, "task runner ended");
                        let _ = finished.send(id);
                    });
                }
                Ok(None) => {}
                Err(e) => {
                    // The task is still queued in the store: look at the whole queue again at
                    // the next refresh rather than forget it until a restart.
                    tracing::error!(task = %id, error = %e, "cannot start task; will retry");
                    self.last_seq = i64::MIN;
                    self.reload = true;
                    break;
                }
            }
        }
    }

    /// Claims a queued task: marks it running and, for a fresh run, inserts the run and its
    /// pending steps — one atomic commit. `None` when it is no longer queued.
    async fn claim(
        &self,
        id: &TaskId,
    ) -> Result<Option<(crate::store::TaskRecord, String)>, StoreError> {
        let reader = &self.ctx.store.reader;
        let Some(mut task) = read::get_task_record(reader, id).await? else {
            return Ok(None);
        };
        if task.status != TaskStatus::Queued {
            return Ok(None);
        }
        let now = crate::time::now_rfc3339();
        let (run_id, fresh) = match &task.run_id {
            Some(run_id) => (run_id.clone(), false),
            None => (RunId::generate().0, true),
        };
        let mut ops = vec![WriteOp::ClaimTask {
            id: id.clone(),
            run_id: run_id.clone(),
            at: now.clone(),
            owner: self.lease.owner.clone(),
        }];
        if fresh {
            let number = read::run_count(reader, id).await? + 1;
            ops.push(WriteOp::InsertRun {
                id: run_id.clone(),
                task_id: id.clone(),
                number,
                at: now,
            });
            if let Ok(plan) = serde_json::from_str::<Plan>(&task.plan) {
                ops.extend(
                    initial_rows(id, &run_id, &plan)
                        .into_iter()
                        .map(WriteOp::UpsertStep),
                );
            }
        }
        ops.push(WriteOp::Event(EngineEvent::TaskStarted {
            task_id: id.clone(),
        }));
        match self.ctx.store.writer.write(ops).await {
            Ok(()) => {
                task.status = TaskStatus::Running;
                task.run_id = Some(run_id.clone());
                Ok(Some((task, run_id)))
            }
            Err(StoreError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Resolves on a nudge; never, without a socket.
async fn nudged(wake: Option<&WakeListener>) {
    match wake {
        Some(wake) => wake.nudged().await,
        None => std::future::pending().await,
    }
}
