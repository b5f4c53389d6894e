//! What a front end that stays open reads through its [`EngineHandle`]: a snapshot for the first
//! frame, then the changes since the last event it saw. Reads go to the store's read pool
//! directly (they never queue behind the scheduler); writes go through the engine.

use std::collections::BTreeSet;
use std::time::Duration;

use super::answer::{AnswerError, AnswerOutcome, answer};
use super::handle::EngineHandle;
use super::workflow::{load_workflows, parse_workflow};
use crate::protocol::{
    AnswerRequest, Changes, EngineEvent, Health, InputInfo, Snapshot, StatsView, StoreHealth,
    SubmitRequest, TaskId, TaskView, WorkflowInfo,
};
use crate::store::escalations::read as inbox;
use crate::store::{StoreError, read, summary};

/// More events than this since the last look: the front end takes a new snapshot instead.
const MAX_EVENTS: i64 = 2_000;

/// How long the Redis health check may take.
const REDIS_PING: Duration = Duration::from_millis(300);

impl EngineHandle {
    /// Every task, the inbox and the counts, with the newest events.
    pub async fn snapshot(&self, recent: i64) -> Result<Snapshot, StoreError> {
        let pool = &self.store.reader;
        let last_seq = summary::last_seq(pool).await?;
        Ok(Snapshot {
            tasks: summary::all_summaries(pool).await?,
            inbox: inbox::open(pool).await?,
            stats: self.stats().await?,
            last_seq,
            recent: read::event_tail(pool, recent).await?,
        })
    }

    /// What changed after event `seq`.
    pub async fn changes_since(&self, seq: i64) -> Result<Changes, StoreError> {
        let pool = &self.store.reader;
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
        Ok(Changes {
            tasks: summary::summaries(pool, &touched).await?,
            inbox: if inbox_changed {
                Some(inbox::open(pool).await?)
            } else {
                None
            },
            stats: self.stats().await?,
            last_seq,
            overflow,
            events,
        })
    }

    /// One task with its steps.
    pub async fn task(&self, id: &TaskId) -> Result<Option<TaskView>, StoreError> {
        read::get_task(&self.store.reader, id).await
    }

    /// The output so far of every running step: (task, step, attempt, output).
    pub async fn running_outputs(&self) -> Result<Vec<(TaskId, String, i64, String)>, StoreError> {
        summary::running_outputs(&self.store.reader).await
    }

    /// Decision counts (today is the UTC day).
    pub async fn stats(&self) -> Result<StatsView, StoreError> {
        let today = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
        crate::store::ledger::stats(&self.store.reader, &crate::time::format_rfc3339(today)).await
    }

    /// The workflows a task can be submitted to, with their inputs. A workflow that does not
    /// parse is listed without inputs (submitting it reports why).
    pub fn workflows(&self) -> Vec<WorkflowInfo> {
        let catalog = load_workflows(&self.paths);
        let skills = super::skills::load_skills(&self.paths);
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
        answer(&self.paths, &self.store, &request).await
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
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
        self.submit(SubmitRequest {
            description: task.description,
            workflow: Some(task.workflow),
            inputs,
            priority: task.priority,
        })
        .await
    }

    /// Whether SQLite and Redis answer.
    pub async fn health(&self) -> Health {
        let sqlite = match summary::last_seq(&self.store.reader).await {
            Ok(_) => StoreHealth::Ok,
            Err(e) => StoreHealth::Down(e.to_string()),
        };
        let redis = match &self.redis_url {
            None => StoreHealth::Off,
            Some(url) => ping_redis(url).await,
        };
        Health { sqlite, redis }
    }

    /// Bumped whenever the store changed, by this process or another.
    pub fn store_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.clone()
    }
}

async fn ping_redis(url: &str) -> StoreHealth {
    let client = match redis::Client::open(url) {
        Ok(c) => c,
        Err(e) => return StoreHealth::Down(e.to_string()),
    };
    let ping = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(REDIS_PING, ping).await {
        Ok(Ok(_)) => StoreHealth::Ok,
        Ok(Err(e)) => StoreHealth::Down(e.to_string()),
        Err(_) => StoreHealth::Down("no answer".into()),
    }
}
