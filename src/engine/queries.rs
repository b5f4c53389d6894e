//! What a front end that stays open reads through its [`EngineHandle`]: a snapshot for the first
//! frame (bounded: open tasks and the newest finished ones), then the changes since the last
//! event it saw, and older tasks a page or a search at a time. Reads go to the store's read pool
//! directly (they never queue behind the scheduler); writes go through the engine.

use std::collections::{BTreeSet, HashSet};

use sqlx::SqlitePool;

use super::answer::{AnswerError, AnswerOutcome, answer};
use super::handle::EngineHandle;
use crate::definitions::problems::DefinitionProblems;
use crate::definitions::workflow::{load_workflows, parse_workflow};
use crate::mirror::Mirror;
use crate::protocol::{
    ATTENTION_WINDOW_SECS, AnswerRequest, Changes, EngineEvent, Health, InputInfo, Snapshot,
    StatsView, StepOutput, StoreHealth, SubmitRequest, TaskCursor, TaskId, TaskPage, TaskSummary,
    TaskView, WorkflowInfo,
};
use crate::store::escalations::read as inbox;
use crate::store::{StoreError, history, ledger, read, summary};

/// More events than this since the last look: the front end takes a new snapshot instead.
const MAX_EVENTS: i64 = 2_000;
/// Logged lines read at most at once: past this, the newest (a pane keeps a few thousand).
const MAX_LOGS: i64 = 1_000;

impl EngineHandle {
    /// The open tasks and the newest finished ones, the inbox and the counts, with the newest
    /// events (see [`cached_snapshot`]).
    pub async fn snapshot(&self, recent: i64) -> Result<Snapshot, StoreError> {
        cached_snapshot(&self.store.reader, self.mirror.as_ref(), recent).await
    }

    /// The page of finished tasks that ended before `before`, newest first.
    pub async fn older_tasks(&self, before: &TaskCursor) -> Result<TaskPage, StoreError> {
        history::finished_page(&self.store.reader, Some(before), history::PAGE).await
    }

    /// The newest tasks whose text contains `text`, searched in the store (the interface's
    /// filter, over tasks it has not read yet).
    pub async fn search_tasks(&self, text: &str) -> Result<Vec<TaskSummary>, StoreError> {
        history::search(&self.store.reader, text).await
    }

    /// What changed after event `seq`, with the lines logged after line `log`.
    pub async fn changes_since(&self, seq: i64, log: i64) -> Result<Changes, StoreError> {
        let pool = &self.store.reader;
        let (logs, last_log) = crate::store::logs::since(pool, log, MAX_LOGS).await?;
        let events = summary::events_since(pool, seq, MAX_EVENTS + 1).await?;
        let overflow = events.len() as i64 > MAX_EVENTS;
        let last_seq = events.last().map_or(seq, |e| e.seq);
        // Tasks in flight are read again whatever the events say: a task starts or stops
        // waiting on a question without an event of its own.
        let live = summary::live_task_ids(pool).await?;
        let touched: BTreeSet<&TaskId> = events
            .iter()
            .map(|e| e.event.task_id())
            .chain(live.iter())
            .collect();
        let touched: Vec<TaskId> = touched.into_iter().cloned().collect();
        let inbox_changed = events.iter().any(|e| {
            matches!(
                e.event,
                EngineEvent::EscalationOpened { .. }
                    | EngineEvent::EscalationClosed { .. }
                    | EngineEvent::TaskFinished { .. }
            )
        });
        let mut tasks = summary::summaries(pool, &touched).await?;
        // A success settles earlier failures of its workflow: they are read again too.
        let succeeded: BTreeSet<&str> = events
            .iter()
            .filter_map(|e| match &e.event {
                EngineEvent::TaskFinished {
                    task_id,
                    status: crate::protocol::TaskStatus::Succeeded,
                } => tasks.iter().find(|t| &t.id == task_id),
                _ => None,
            })
            .map(|t| t.workflow.as_str())
            .collect();
        if !succeeded.is_empty() {
            let workflows: Vec<&str> = succeeded.into_iter().collect();
            let failed = summary::unsettled_failures(pool, &workflows).await?;
            let fresh: Vec<TaskId> = failed
                .into_iter()
                .filter(|id| !touched.contains(id))
                .collect();
            tasks.extend(summary::summaries(pool, &fresh).await?);
        }
        Ok(Changes {
            tasks,
            inbox: if inbox_changed {
                Some(inbox::open(pool).await?)
            } else {
                None
            },
            stats: self.stats().await?,
            last_seq,
            overflow,
            events,
            logs,
            last_log,
        })
    }

    /// One task with its steps, from the cache when it is current, else from SQLite.
    pub async fn task(&self, id: &TaskId) -> Result<Option<TaskView>, StoreError> {
        cached_task(&self.store.reader, self.mirror.as_ref(), id).await
    }

    /// The output so far of every running step, and of the steps that finished in the last
    /// ten seconds (their last lines).
    pub async fn running_outputs(&self) -> Result<Vec<StepOutput>, StoreError> {
        let since = time::OffsetDateTime::now_utc() - time::Duration::seconds(10);
        summary::recent_outputs(&self.store.reader, &crate::time::format_rfc3339(since)).await
    }

    /// Decision counts (today is the UTC day).
    pub async fn stats(&self) -> Result<StatsView, StoreError> {
        crate::store::ledger::stats(&self.store.reader, &crate::time::today_start()).await
    }

    /// The workflows a task can be submitted to, with their inputs. A workflow that does not
    /// parse is listed without inputs (submitting it reports why).
    pub fn workflows(&self) -> Vec<WorkflowInfo> {
        let catalog = load_workflows(&self.paths);
        let skills = crate::definitions::skills::load_skills(&self.paths);
        catalog
            .entries
            .values()
            .map(|entry| {
                let parsed = entry.get_or_parse(|path, text| parse_workflow(path, text, &skills));
                let inputs = match parsed {
                    Ok(w) => w
                        .inputs
                        .iter()
                        .map(|(name, spec)| InputInfo {
                            name: name.clone(),
                            description: spec.description.clone(),
                            required: spec.required,
                            default: spec.default.as_ref().map(|v| match v {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            }),
                        })
                        .collect(),
                    Err(_) => Vec::new(),
                };
                WorkflowInfo {
                    name: entry.name.clone(),
                    description: entry.description.clone(),
                    source: entry.source.describe(),
                    inputs,
                }
            })
            .collect()
    }

    /// Answers an open question (see [`super::answer`]).
    pub async fn answer(&self, request: AnswerRequest) -> Result<AnswerOutcome, AnswerError> {
        let outcome = answer(&self.paths, &self.store, &request).await;
        if outcome.is_ok() {
            self.land_answers().await;
        }
        if self.is_attached() {
            // The engine of another process acts on it at once rather than at its next poll.
            super::wake::nudge(&self.paths);
        }
        outcome
    }

    /// Queues a new task with the description, workflow, inputs and priority of `id`.
    pub async fn rerun(&self, id: &TaskId) -> Result<TaskId, String> {
        let task = self
            .task(id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no task {id}"))?;
        let inputs = task
            .inputs
            .into_iter()
            .map(|(k, v)| (k, crate::protocol::input_text(v)))
            .collect();
        self.submit(SubmitRequest {
            description: task.description,
            workflow: Some(task.workflow),
            inputs,
            priority: task.priority,
            // A task that had a worktree of its own gets one again, whatever its workflow says.
            isolation: task
                .worktree
                .as_ref()
                .map(|_| crate::protocol::Isolation::Worktree),
            base: None,
        })
        .await
    }

    /// Whether SQLite answers, what the Redis link last saw, the definitions in error, and
    /// whether the disk is full.
    pub async fn health(&self) -> Health {
        let sqlite = match summary::last_seq(&self.store.reader).await {
            Ok(_) => StoreHealth::Ok,
            Err(e) => StoreHealth::Down(e.to_string()),
        };
        let redis = match &self.mirror {
            None => StoreHealth::Off,
            Some(mirror) => {
                if mirror.link.health().borrow().clone() == StoreHealth::Unknown {
                    // Nothing has used the link yet: ask, within its bound.
                    mirror.link.ping().await;
                }
                mirror.link.health().borrow().clone()
            }
        };
        // Attached, the engine is another process's: it is gone once nothing holds the lease
        // (a killed engine's PID is dead, a stopped one released it).
        let engine_gone = match &self.run {
            Some(_) => None,
            None => match crate::engine::lock::live_holder(&self.paths.database()).await {
                Ok(None) => Some("no engine runs this project any more".to_string()),
                Ok(Some(_)) | Err(_) => None,
            },
        };
        Health {
            sqlite,
            redis,
            engine_gone,
            disk_full: self.disk_full(),
            definitions: self.problems.summaries(),
            limit: self
                .run
                .as_ref()
                .map(|ctx| ctx.settings.current().engine.max_concurrent_workflows),
        }
    }

    /// What is wrong with the definitions the engine reads (empty when attached: the other
    /// process's engine keeps its own).
    pub fn problems(&self) -> &DefinitionProblems {
        &self.problems
    }

    /// Bumped whenever the store changed, by this process or another.
    pub fn store_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.clone()
    }
}

/// Reads the first-frame snapshot from SQLite, with the revision it is consistent with (`None`
/// when a commit landed while it was read, so it must not be cached).
pub(super) async fn read_snapshot(
    pool: &SqlitePool,
    recent: i64,
) -> Result<(Option<i64>, Snapshot), StoreError> {
    consistent(pool, async |pool| {
        let now = time::OffsetDateTime::now_utc();
        let today = now.replace_time(time::Time::MIDNIGHT);
        let (tasks, older) = first_tasks(pool, now).await?;
        let (logs, last_log) = crate::store::logs::tail(pool, recent).await?;
        Ok(Snapshot {
            tasks,
            inbox: inbox::open(pool).await?,
            stats: ledger::stats(pool, &crate::time::format_rfc3339(today)).await?,
            last_seq: summary::last_seq(pool).await?,
            recent: read::event_tail(pool, recent).await?,
            older,
            logs,
            last_log,
        })
    })
    .await
}

/// The first frame's tasks, whatever the history's size: what is open, the failures of the
/// attention window, and the newest page of finished tasks; with where older ones begin.
async fn first_tasks(
    pool: &SqlitePool,
    now: time::OffsetDateTime,
) -> Result<(Vec<TaskSummary>, Option<TaskCursor>), StoreError> {
    let since = now - time::Duration::seconds(ATTENTION_WINDOW_SECS);
    let since = crate::time::format_rfc3339(since);
    let mut tasks = history::open(pool).await?;
    tasks.extend(history::failed_since(pool, &since, history::PAGE).await?);
    let page = history::finished_page(pool, None, history::PAGE).await?;
    tasks.extend(page.tasks);
    let mut seen = HashSet::new();
    tasks.retain(|t| seen.insert(t.id.clone()));
    Ok((tasks, page.next))
}

/// The first frame: from the Redis cache when it holds it at the store's current revision,
/// else from SQLite (then cached in the background).
pub async fn cached_snapshot(
    pool: &SqlitePool,
    mirror: Option<&Mirror>,
    recent: i64,
) -> Result<Snapshot, StoreError> {
    let Some(mirror) = mirror else {
        return Ok(read_snapshot(pool, recent).await?.1);
    };
    let key = mirror.keys().snapshot(recent, &crate::time::utc_day());
    let rev = summary::revision(pool).await?;
    if let Some(snapshot) = mirror.cache.get(&key, rev).await {
        return Ok(snapshot);
    }
    let (rev, snapshot) = read_snapshot(pool, recent).await?;
    if let Some(rev) = rev {
        mirror.cache.put_later(key, rev, snapshot.clone());
    }
    Ok(snapshot)
}

/// One task's view and the revision it was read at, when the read was consistent.
pub(super) async fn read_task_tagged(
    pool: &SqlitePool,
    id: &TaskId,
) -> Result<Option<(i64, TaskView)>, StoreError> {
    let (rev, view) = consistent(pool, async |pool| read::get_task(pool, id).await).await?;
    Ok(rev.zip(view))
}

/// `bosun show` and the detail overlay: a task from the cache at the current revision, else
/// from SQLite (then cached in the background).
pub async fn cached_task(
    pool: &SqlitePool,
    mirror: Option<&Mirror>,
    id: &TaskId,
) -> Result<Option<TaskView>, StoreError> {
    let Some(mirror) = mirror else {
        return read::get_task(pool, id).await;
    };
    let key = mirror.keys().task(id);
    let rev = summary::revision(pool).await?;
    if let Some(view) = mirror.cache.get(&key, rev).await {
        return Ok(Some(view));
    }
    let (rev, view) = consistent(pool, async |pool| read::get_task(pool, id).await).await?;
    if let (Some(rev), Some(view)) = (rev, &view) {
        mirror.cache.put_later(key, rev, view.clone());
    }
    Ok(view)
}

/// Runs `read` between two readings of the store's revision: equal readings mean no commit
/// landed in between, so what was read is exactly the state at that revision.
async fn consistent<T>(
    pool: &SqlitePool,
    read: impl AsyncFnOnce(&SqlitePool) -> Result<T, StoreError>,
) -> Result<(Option<i64>, T), StoreError> {
    let before = summary::revision(pool).await?;
    let value = read(pool).await?;
    let after = summary::revision(pool).await?;
    Ok(((before == after).then_some(before), value))
}
