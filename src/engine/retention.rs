//! Retention of history (`retention:`): at start and every hour, the engine prunes the events,
//! log lines and agent transcripts of tasks finished longer ago than `retention.history`
//! (90 days), and, when `retention.audit` is a duration, the decisions older than it.
//!
//! Invariants: unfinished tasks (queued, running, waiting) keep everything whatever their age;
//! tasks, runs and steps rows stay. Each write deletes at most [`ROWS_PER_WRITE`] rows, so
//! runners' writes queue behind it for moments only; a stopping engine stops between writes.
//! A task's transcripts go after its rows. The hash-chained `.bosun/audit.jsonl` is never
//! rewritten (a pruned line would break the chain after it). The prune at start looks at every
//! finished task; the hourly ones resume where the last complete prune stopped (its cutoff,
//! kept in the store), so they look at the tasks of an hour rather than the whole history.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::runner::RunContext;
use crate::config::ProjectPaths;
use crate::config::retention::{Keep, RetentionSettings};
use crate::protocol::TaskId;
use crate::store::prune::{self, FinishedTask, PruneOp};
use crate::store::{Store, StoreError, WriteOp};

/// How often the engine prunes (and once at start).
pub const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);
/// Most rows one write deletes.
const ROWS_PER_WRITE: i64 = 5_000;
/// Tasks handled per pass.
const TASKS_PER_PASS: i64 = 500;

/// What one prune removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// Finished tasks that lost any history.
    pub tasks: usize,
    pub events: i64,
    pub logs: i64,
    pub transcripts: usize,
    pub decisions: i64,
}

/// `now` less `keep`, as the store writes times; `None` when nothing is old enough.
fn cutoff(now: OffsetDateTime, keep: Keep) -> Option<String> {
    let age = time::Duration::try_from(keep.limit()?).ok()?;
    now.checked_sub(age).map(crate::time::format_rfc3339)
}

/// Which finished tasks a prune looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// Every task finished before the cutoff: at start, so that nothing is missed for good
    /// (a clock that was set wrong, an event added to an old task, transcripts a crash left).
    Full,
    /// Only tasks finished since the last complete prune's cutoff: hourly, an hour of tasks
    /// rather than the whole history.
    SinceLast,
}

/// Prunes what `retention` says was kept long enough, as of `now`. Stops between writes once
/// `stop` fires (what is left goes next time).
pub async fn prune(
    store: &Store,
    paths: &ProjectPaths,
    retention: &RetentionSettings,
    now: OffsetDateTime,
    sweep: Sweep,
    stop: &CancellationToken,
) -> Result<Pruned, StoreError> {
    let mut pruned = Pruned::default();
    if let Some(before) = cutoff(now, retention.history) {
        prune_history(store, paths, &before, sweep, stop, &mut pruned).await?;
    }
    if let Some(before) = cutoff(now, retention.audit) {
        pruned.decisions = prune_decisions(store, &before, stop).await?;
    }
    Ok(pruned)
}

async fn prune_history(
    store: &Store,
    paths: &ProjectPaths,
    before: &str,
    sweep: Sweep,
    stop: &CancellationToken,
    pruned: &mut Pruned,
) -> Result<(), StoreError> {
    let from = match sweep {
        Sweep::Full => None,
        Sweep::SinceLast => prune::pruned_before(&store.reader).await?,
    };
    if from.as_deref().is_some_and(|from| from >= before) {
        return Ok(());
    }
    let transcripts = Transcripts::list(paths).await;
    let mut after: Option<FinishedTask> = None;
    loop {
        if stop.is_cancelled() {
            return Ok(());
        }
        let tasks = prune::finished_between(
            &store.reader,
            from.as_deref(),
            before,
            after.as_ref(),
            TASKS_PER_PASS,
        )
        .await?;
        let ids: Vec<_> = tasks.iter().map(|t| t.id.clone()).collect();
        let mut touched: HashSet<TaskId> = prune::with_history(&store.reader, &ids)
            .await?
            .into_iter()
            .collect();
        let (events, logs) = prune::history_rows(&store.reader, &ids).await?;
        let mut left = (events, logs);
        while left.0 + left.1 > 0 {
            if stop.is_cancelled() {
                return Ok(());
            }
            store
                .writer
                .write(vec![WriteOp::Prune(PruneOp::History {
                    tasks: ids.clone(),
                    limit: ROWS_PER_WRITE,
                })])
                .await?;
            let now_left = prune::history_rows(&store.reader, &ids).await?;
            let stuck = now_left.0 + now_left.1 >= left.0 + left.1;
            left = now_left;
            if stuck {
                // Nothing went (rows added meanwhile, a task no longer finished): next time.
                break;
            }
        }
        pruned.events += events - left.0;
        pruned.logs += logs - left.1;
        if !transcripts.is_empty() {
            let steps = prune::steps_of(&store.reader, &ids).await?;
            let removed = transcripts.remove(paths, steps).await;
            pruned.transcripts += removed.len();
            touched.extend(removed);
        }
        pruned.tasks += touched.len();
        let more = tasks.len() as i64 == TASKS_PER_PASS;
        after = tasks.into_iter().last();
        if !more {
            break;
        }
    }
    if stop.is_cancelled() {
        return Ok(());
    }
    store
        .writer
        .write(vec![WriteOp::Prune(PruneOp::HistoryPrunedBefore(
            before.to_string(),
        ))])
        .await
}

/// The agent transcripts there were when a prune began (`logs/agents/*.jsonl`), so that a
/// prune tries to delete only files that exist rather than one for every old step.
struct Transcripts(HashSet<std::ffi::OsString>);

impl Transcripts {
    async fn list(paths: &ProjectPaths) -> Transcripts {
        let dir = paths.logs_dir().join("agents");
        let names = tokio::task::spawn_blocking(move || {
            std::fs::read_dir(dir)
                .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default()
        })
        .await;
        Transcripts(names.unwrap_or_default())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Deletes those of `steps`' transcripts that exist; returns their tasks.
    async fn remove(&self, paths: &ProjectPaths, steps: Vec<(TaskId, String)>) -> Vec<TaskId> {
        let files: Vec<(TaskId, std::path::PathBuf)> = steps
            .into_iter()
            .map(|(task, step)| {
                let file = paths.agent_transcript(task.as_str(), &step);
                (task, file)
            })
            .filter(|(_, file)| file.file_name().is_some_and(|name| self.0.contains(name)))
            .collect();
        let removed = tokio::task::spawn_blocking(move || {
            let mut removed = Vec::new();
            for (task, file) in files {
                match std::fs::remove_file(&file) {
                    Ok(()) => removed.push(task),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(file = %file.display(), error = %e, "cannot delete an old agent transcript");
                    }
                }
            }
            removed
        })
        .await;
        removed.unwrap_or_default()
    }
}

/// Deletes decisions made before `before`, a bounded batch per write; returns how many.
async fn prune_decisions(
    store: &Store,
    before: &str,
    stop: &CancellationToken,
) -> Result<i64, StoreError> {
    let (count, newest) = prune::old_decisions(&store.reader, before).await?;
    let Some(through) = newest else {
        return Ok(0);
    };
    let (mut left, mut deleted) = (count, 0);
    while left > 0 && !stop.is_cancelled() {
        store
            .writer
            .write(vec![WriteOp::Prune(PruneOp::Decisions {
                before: before.to_string(),
                through,
                limit: ROWS_PER_WRITE,
            })])
            .await?;
        deleted += left.min(ROWS_PER_WRITE);
        left -= ROWS_PER_WRITE;
    }
    Ok(deleted)
}

/// Says what a prune removed, in one line per kind.
fn report(pruned: &Pruned, retention: &RetentionSettings) {
    if pruned.events + pruned.logs > 0 || pruned.transcripts > 0 {
        tracing::info!(
            tasks = pruned.tasks,
            events = pruned.events,
            logs = pruned.logs,
            transcripts = pruned.transcripts,
            "pruned the history of tasks finished more than {} ago (retention.history)",
            retention.history
        );
    }
    if pruned.decisions > 0 {
        tracing::info!(
            decisions = pruned.decisions,
            "pruned decisions made more than {} ago (retention.audit); the audit log is kept whole",
            retention.audit
        );
    }
}

/// Prunes now and then every `every` until the engine stops (`ctx.shutdown`), with the
/// settings in force at each prune.
pub(super) fn spawn(ctx: Arc<RunContext>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut sweep = Sweep::Full;
        loop {
            let retention = ctx.settings.current().retention.clone();
            let now = OffsetDateTime::now_utc();
            let pruned = prune(
                &ctx.store,
                &ctx.paths,
                &retention,
                now,
                sweep,
                &ctx.shutdown,
            );
            match pruned.await {
                Ok(pruned) => {
                    report(&pruned, &retention);
                    // Swept whole once: from here on, only what finished since.
                    sweep = Sweep::SinceLast;
                }
                Err(_) if ctx.shutdown.is_cancelled() => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot prune old history; trying again later")
                }
            }
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    })
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
