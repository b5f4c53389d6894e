//! The pruning task of a running engine, with a real store: it prunes at once, again at every
//! interval with the settings then in force, and ends when the engine's shutdown token fires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::*;
use crate::config::{ProjectPaths, Settings};
use crate::definitions::problems::DefinitionProblems;
use crate::definitions::template::Templates;
use crate::engine::runner::SkillSlots;
use crate::policy::PolicyCache;
use crate::protocol::{EngineEvent, Priority, TaskStatus};
use crate::store::audit::{AuditHandle, AuditLog};
use crate::store::{NewTask, Store, connect_options};

async fn context(dir: &tempfile::TempDir) -> Arc<RunContext> {
    let paths = ProjectPaths::new(dir.path()).expect("paths");
    paths.ensure_state_dirs().expect("state dirs");
    let store = Store::open(&paths.database()).await.expect("store");
    let (audit, _) = AuditHandle::spawn(AuditLog::new(paths.audit_log()));
    Arc::new(RunContext {
        store,
        skill_slots: SkillSlots::new(1),
        settings: Settings::default().into(),
        problems: DefinitionProblems::default(),
        policy: PolicyCache::new(&paths).expect("policy"),
        paths,
        templates: Templates::new(),
        shutdown: CancellationToken::new(),
        supervisor: None,
        changes: tokio::sync::watch::Sender::new(0),
        inbox_open: tokio::sync::Mutex::new(()),
        session: "s-test".into(),
        audit,
        agent_pauses: Default::default(),
    })
}

/// A task that finished `age` ago, with one event.
async fn old_finished_task(ctx: &RunContext, id: &str, age: Duration) {
    let task = TaskId::from(id);
    ctx.store
        .writer
        .write(vec![
            WriteOp::InsertTask(NewTask {
                id: task.clone(),
                description: id.into(),
                workflow: "w".into(),
                workflow_reason: "test".into(),
                plan: "{}".into(),
                priority: Priority::Normal,
                inputs: "{}".into(),
                created_at: crate::time::now_rfc3339(),
            }),
            WriteOp::SetTaskStatus {
                id: task.clone(),
                status: TaskStatus::Succeeded,
                error: None,
                finished_at: None,
            },
            WriteOp::Event(EngineEvent::TaskStarted { task_id: task }),
        ])
        .await
        .expect("write");
    let old = OffsetDateTime::now_utc() - age;
    let mut conn =
        sqlx::ConnectOptions::connect(&connect_options(&ctx.paths.database()).expect("options"))
            .await
            .expect("connect");
    sqlx::query("UPDATE tasks SET finished_at = ? WHERE id = ?")
        .bind(crate::time::format_rfc3339(old))
        .bind(id)
        .execute(&mut conn)
        .await
        .expect("age it");
}

async fn events_of(ctx: &RunContext, id: &str) -> i64 {
    prune::history_rows(&ctx.store.reader, &[TaskId::from(id)])
        .await
        .expect("count")
        .0
}

/// Waits (bounded) for `check` to hold.
async fn eventually(what: &str, check: impl AsyncFn() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < Duration::from_secs(20), "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prunes_at_start_and_again_at_each_interval_until_the_engine_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(&dir).await;
    const DAYS_90: Duration = Duration::from_secs(90 * 86_400);
    old_finished_task(&ctx, "t-before", DAYS_90 * 2).await;
    let pruner = spawn(ctx.clone(), Duration::from_millis(50));
    eventually("the start's prune", async || {
        events_of(&ctx, "t-before").await == 0
    })
    .await;

    // One that finished exactly 90 days ago now, so is past the cutoff only at a later prune
    // (as a task that finished yesterday is, a day later), goes by itself.
    old_finished_task(&ctx, "t-after", DAYS_90).await;
    eventually("a later prune", async || {
        events_of(&ctx, "t-after").await == 0
    })
    .await;

    ctx.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(20), pruner)
        .await
        .expect("the pruner ends with the engine")
        .expect("it did not panic");
}
