//! Starting and stopping the engine, and the cloneable [`EngineHandle`] front ends talk to.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::publish::Publisher;
use super::recovery::{Recovered, recover};
use super::runner::RunContext;
use super::scheduler::Scheduler;
use super::triggers::Dispatcher;
use super::wake::{WakeListener, socket_path};
use crate::config::{ProjectPaths, Settings};
use crate::definitions::template::Templates;
use crate::mirror::Mirror;
use crate::policy::PolicyCache;
use crate::protocol::{Command, EventEnvelope, SubmitRequest, TaskId};
use crate::store::audit::{AuditHandle, AuditLog};
use crate::store::escalations::{EscalationOp, SESSION_KEY};
use crate::store::{ChangeProbe, Store, StoreError, WriteOp};

/// Sends commands to a running engine and subscribes to its events.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    /// `None` when attached to another process's engine (see [`super::attach`]).
    commands: Option<mpsc::Sender<Command>>,
    pub(super) store: Store,
    pub(super) paths: ProjectPaths,
    pub(super) changes: tokio::sync::watch::Receiver<u64>,
    pub(super) mirror: Option<Mirror>,
    /// The engine's definition problems; always empty when attached (that engine keeps its own).
    pub(super) problems: crate::definitions::problems::DefinitionProblems,
    /// The engine's context, when it runs in this process (for its live settings).
    pub(super) run: Option<Arc<RunContext>>,
    /// Attached: the project's settings, which a submission is checked against (its `path`
    /// directories, where a command's program may be; its agents).
    pub(super) settings: Arc<crate::config::Settings>,
}

/// The running engine; [`Engine::shutdown`] stops it cleanly.
#[derive(Debug)]
pub struct Engine {
    pub handle: EngineHandle,
    pub recovered: Recovered,
    shutdown: CancellationToken,
    scheduler: tokio::task::JoinHandle<()>,
    audit: AuditHandle,
    /// Publishing to Redis, when it is on; stopped after the scheduler.
    publisher: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
    /// The project-tree watcher and its trigger dispatcher; `None` when it could not start.
    watcher: Option<Watcher>,
    /// The periodic backups (`backup.interval`); ends with the shutdown token.
    backups: tokio::task::JoinHandle<()>,
    /// Pruning old history (`retention:`); stops on the engine's shutdown token.
    pruner: tokio::task::JoinHandle<()>,
}

/// The watcher and the dispatcher acting on what it sees.
#[derive(Debug)]
struct Watcher {
    tree: crate::watch::TreeWatcher,
    stop: CancellationToken,
    dispatcher: tokio::task::JoinHandle<()>,
}

impl Watcher {
    async fn stop(self) {
        self.tree.stop();
        self.stop.cancel();
        let _ = self.dispatcher.await;
    }
}

/// Starts watching the project tree; a failure leaves the engine without triggers, said once.
fn start_watcher(ctx: Arc<RunContext>, handle: EngineHandle) -> Option<Watcher> {
    let (tree, watching, batches) = match crate::watch::start(&ctx.paths.root) {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!("{e}; workflows with watch triggers will not start by themselves");
            return None;
        }
    };
    let events = ctx.store.writer.subscribe();
    let stop = CancellationToken::new();
    let dispatcher = Dispatcher::new(ctx, handle);
    // Said once the workflows have been read: from here on, an edit is a reload.
    tracing::info!(
        directories = watching.directories,
        "watching the project tree"
    );
    let dispatcher = tokio::spawn(dispatcher.run(batches, events, stop.clone()));
    Some(Watcher {
        tree,
        stop,
        dispatcher,
    })
}

impl Engine {
    /// Recovers what a previous engine left, then starts the scheduler. The caller must hold
    /// the project's engine `lease` (its claims are fenced by it; losing it stops the engine).
    pub async fn start(
        paths: ProjectPaths,
        settings: Settings,
        store: Store,
        lease: &super::lock::EngineLease,
    ) -> Result<Engine, StoreError> {
        let recovered = recover(&store, &paths.root).await?;
        {
            // Worktrees and merges a crash cut off: tidied beside the start, not before it
            // (git may take a while in a large repository).
            let (store, paths, settings) = (store.clone(), paths.clone(), settings.clone());
            tokio::spawn(async move {
                match super::landing::recover(&store, &paths, &settings).await {
                    Ok(notes) => {
                        for note in notes {
                            tracing::info!("worktrees: {note}");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot tidy the worktrees"),
                }
            });
        }
        let probe = ChangeProbe::open(&paths.database()).await?;
        let wake = match WakeListener::bind(&socket_path(&paths)) {
            Ok(listener) => Some(listener),
            Err(e) => {
                tracing::warn!(error = %e, "no wake-up socket; other processes' work is found by polling");
                None
            }
        };
        let (tx, rx) = mpsc::channel(256);
        let shutdown = CancellationToken::new();
        let policy = match PolicyCache::new(&paths) {
            Ok(policy) => policy,
            Err(e) => {
                tracing::error!(
                    "the project policy is invalid; running on the built-in rules until it is fixed:\n{e}"
                );
                PolicyCache::fallback(&paths).map_err(|e| StoreError::Corrupt(e.to_string()))?
            }
        };
        let (audit, _) = AuditHandle::spawn(AuditLog::new(paths.audit_log()));
        let session = format!("s-{}", ulid::Ulid::new().to_string().to_lowercase());
        store
            .writer
            .write(vec![WriteOp::Escalation(EscalationOp::SetMeta {
                key: SESSION_KEY.into(),
                value: session.clone(),
            })])
            .await?;
        // From here on a full disk pauses the engine's writes instead of failing them (an
        // engine that cannot write its first record fails to start, saying why).
        store.writer.wait_for_space();
        let mirror = match Mirror::new(
            settings.cache.redis_url.as_deref(),
            &paths.root,
            settings.cache.timeout,
        ) {
            Ok(mirror) => mirror,
            Err(e) => {
                tracing::error!("{e}; running without Redis");
                None
            }
        };
        let handle_paths = paths.clone();
        let ctx = Arc::new(RunContext {
            skill_slots: super::runner::SkillSlots::new(settings.engine.max_parallel_skills),
            store: store.clone(),
            settings: settings.into(),
            problems: Default::default(),
            paths,
            templates: Templates::new(),
            shutdown: shutdown.clone(),
            supervisor: supervisor_binary(),
            policy,
            changes: tokio::sync::watch::Sender::new(0),
            inbox_open: tokio::sync::Mutex::new(()),
            session,
            audit: audit.clone(),
            agent_pauses: Default::default(),
        });
        let changes = ctx.changes.subscribe();
        let problems = ctx.problems.clone();
        let publisher = mirror.clone().map(|mirror| {
            let stop = CancellationToken::new();
            let publisher = Publisher {
                mirror,
                after: lease.first_seq(),
                store: store.clone(),
                events: store.writer.subscribe(),
                changes: ctx.changes.subscribe(),
            };
            (stop.clone(), tokio::spawn(publisher.run(stop)))
        });
        let dispatch_ctx = ctx.clone();
        let pruner = super::retention::spawn(ctx.clone(), super::retention::PRUNE_EVERY);
        let scheduler = Scheduler {
            ctx,
            commands: rx,
            probe,
            wake,
            shutdown: shutdown.clone(),
            queue: Default::default(),
            last_seq: i64::MIN,
            running: Default::default(),
            tracker: TaskTracker::new(),
            reload: false,
            lease: lease.fence(),
        };
        let scheduler = tokio::spawn(scheduler.run());
        let handle = EngineHandle {
            commands: Some(tx),
            store,
            paths: handle_paths,
            changes,
            mirror,
            problems,
            run: Some(dispatch_ctx.clone()),
            settings: Arc::default(),
        };
        let backups = {
            let ctx = dispatch_ctx.clone();
            tokio::spawn(crate::backup::schedule::run(
                ctx.paths.database(),
                ctx.paths.backups_dir(),
                move || ctx.settings.current().backup.clone(),
                shutdown.clone(),
            ))
        };
        let watcher = start_watcher(dispatch_ctx, handle.clone());
        Ok(Engine {
            handle,
            recovered,
            shutdown,
            scheduler,
            audit,
            publisher,
            watcher,
            backups,
            pruner,
        })
    }

    /// Stops taking work, ends running steps (they run again at the next start) and puts their
    /// tasks back in the queue, then waits for every runner to have committed that.
    pub async fn shutdown(self) -> Result<(), String> {
        // A full disk must not hold the stop up: writes waiting for space fail, unacknowledged,
        // and the tasks they were about resume at the next start as after a crash.
        self.handle.store.writer.stop_waiting();
        if let Some(watcher) = self.watcher {
            // No task starts from a change once the engine is stopping.
            watcher.stop().await;
        }
        self.shutdown.cancel();
        // A backup under way is not waited for: its temporary file is removed by the next one.
        self.backups.abort();
        let stopped = self
            .scheduler
            .await
            .map_err(|e| format!("the engine's scheduler failed: {e}"));
        // A prune stops between two bounded writes; its last one commits before the store closes.
        let _ = self.pruner.await;
        self.audit.flush().await;
        if let Some((stop, publisher)) = self.publisher {
            // The last events (steps interrupted by the stop) go out too, within a bound.
            stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(2), publisher).await;
        }
        stopped
    }

    /// Resolves if the scheduler ends by itself, which only a bug makes happen.
    pub async fn failed(&mut self) -> String {
        match (&mut self.scheduler).await {
            Ok(()) => "the engine's scheduler stopped unexpectedly".to_string(),
            Err(e) => format!("the engine's scheduler failed: {e}"),
        }
    }
}

impl EngineHandle {
    /// Events committed from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EventEnvelope> {
        self.store.writer.subscribe()
    }

    pub(super) fn new_attached(
        store: Store,
        paths: ProjectPaths,
        changes: tokio::sync::watch::Receiver<u64>,
        mirror: Option<Mirror>,
    ) -> EngineHandle {
        EngineHandle {
            commands: None,
            store,
            paths,
            changes,
            mirror,
            problems: Default::default(),
            run: None,
            settings: Arc::default(),
        }
    }

    /// True when the engine runs in another process.
    pub fn is_attached(&self) -> bool {
        self.commands.is_none()
    }

    /// Validates and queues a task.
    pub async fn submit(&self, request: SubmitRequest) -> Result<TaskId, String> {
        if let Some(reason) = self.disk_full() {
            return Err(super::disk_full_refusal(&reason, "the task was not queued"));
        }
        if self.is_attached() {
            return self.submit_attached(request).await;
        }
        self.ask(|reply| Command::SubmitTask { request, reply })
            .await
    }

    /// Dismisses a failed task from "needs attention".
    pub async fn dismiss(&self, id: &TaskId) -> Result<(), String> {
        super::dismiss::dismiss(&self.store, id)
            .await
            .map_err(|e| e.to_string())
    }

    /// Cancels a task; true when something changed.
    pub async fn cancel(&self, id: TaskId) -> Result<bool, String> {
        if self.is_attached() {
            return self.cancel_attached(id).await;
        }
        self.ask(|reply| Command::CancelTask { id, reply }).await
    }

    /// Sends a command carrying a reply channel and waits for the reply.
    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Command,
    ) -> Result<T, String> {
        let (reply, answer) = oneshot::channel();
        let stopped = || "the engine has stopped".to_string();
        let commands = self.commands.as_ref().ok_or_else(stopped)?;
        commands.send(command(reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// This executable, if it is the `bosun` binary (which has the `__step` verb); an engine
/// embedded elsewhere (tests, other front ends) runs commands without the supervisor.
fn supervisor_binary() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    (exe.file_name()? == "bosun").then_some(exe)
}
