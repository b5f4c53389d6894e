//! Retention of history against real SQLite files and real transcript files: the events, log
//! lines and agent transcripts of tasks finished before the cutoff go, a bounded batch per
//! write; recent tasks and unfinished ones (whatever their age) keep everything; tasks, steps
//! and decisions stay; `retention.audit` prunes old decisions only, leaving the tallies and the
//! audit log as they were. Ages are made by backdating rows through a connection of the test's
//! own, as a months-old project would have them.

mod support;

use std::time::Duration;

use bosun::config::ProjectPaths;
use bosun::config::retention::{Keep, RetentionSettings};
use bosun::engine::retention::{Pruned, Sweep, prune};
use bosun::protocol::{DecisionKind, EngineEvent, Priority, StepStatus, TaskId, TaskStatus};
use bosun::store::{NewTask, StepRow, Store, WriteOp, connect_options, ledger, read};
use sqlx::{ConnectOptions, SqliteConnection};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

const DAY: u64 = 86_400;

struct Project {
    _dir: tempfile::TempDir,
    paths: ProjectPaths,
    store: Store,
}

async fn project() -> Project {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = ProjectPaths::new(dir.path()).expect("paths");
    paths.ensure_state_dirs().expect("state dirs");
    let store = Store::open(&paths.database()).await.expect("store");
    Project {
        _dir: dir,
        paths,
        store,
    }
}

fn days_ago(days: u64) -> String {
    bosun::time::format_rfc3339(OffsetDateTime::now_utc() - Duration::from_secs(days * DAY))
}

fn retention(history: Keep, audit: Keep) -> RetentionSettings {
    RetentionSettings { history, audit }
}

fn days(n: u64) -> Keep {
    Keep::For(Duration::from_secs(n * DAY))
}

impl Project {
    async fn write(&self, ops: Vec<WriteOp>) {
        self.store.writer.write(ops).await.expect("write");
    }

    /// A connection of the test's own, to age rows and count them.
    async fn conn(&self) -> SqliteConnection {
        connect_options(&self.paths.database())
            .expect("options")
            .connect()
            .await
            .expect("connect")
    }

    /// A task with a run, an agent step, `events` events, two log lines and the step's
    /// transcript; in `status`, and (if it has one) finished `age` days ago.
    async fn task(&self, id: &str, status: TaskStatus, age: u64, events: usize) -> TaskId {
        let task = TaskId::from(id);
        // Its run, as a claim would have set it.
        let run = format!("r-{id}");
        let mut ops = vec![
            WriteOp::InsertTask(NewTask {
                id: task.clone(),
                description: format!("task {id}"),
                workflow: "w".into(),
                workflow_reason: "test".into(),
                plan: "{}".into(),
                priority: Priority::Normal,
                inputs: "{}".into(),
                created_at: days_ago(age + 1),
            }),
            WriteOp::InsertRun {
                id: run.clone(),
                task_id: task.clone(),
                number: 1,
                at: days_ago(age + 1),
            },
            WriteOp::UpsertStep(StepRow {
                run_id: run,
                id: "agent".into(),
                task_id: task.clone(),
                ord: 0,
                parent: None,
                skill: "claude-code".into(),
                status: StepStatus::Succeeded,
                attempts: 1,
                exit_code: Some(0),
                output: Some("the step's output stays with the step".into()),
                stderr: None,
                error: None,
                choice: None,
                started_at: None,
                finished_at: None,
                agent: None,
            }),
        ];
        for _ in 0..events {
            ops.push(WriteOp::Event(EngineEvent::TaskStarted {
                task_id: task.clone(),
            }));
        }
        for n in 0..2 {
            ops.push(WriteOp::Log {
                level: "info",
                task_id: Some(task.clone()),
                step_id: Some("agent".into()),
                message: format!("line {n} with a secret"),
            });
        }
        if status != TaskStatus::Queued {
            ops.push(WriteOp::SetTaskStatus {
                id: task.clone(),
                status,
                error: None,
                finished_at: None,
            });
        }
        self.write(ops).await;
        // Unfinished tasks get an old `finished_at` too: their status alone must protect them.
        sqlx::query("UPDATE tasks SET finished_at = ?, run_id = ? WHERE id = ?")
            .bind(days_ago(age))
            .bind(format!("r-{id}"))
            .bind(id)
            .execute(&mut self.conn().await)
            .await
            .expect("age the task");
        let transcript = self.paths.agent_transcript(id, "agent");
        std::fs::write(&transcript, "{\"type\":\"said\"}\n").expect("transcript");
        task
    }

    async fn decision(&self, task: &TaskId, id: &str, age: u64) {
        self.write(vec![WriteOp::InsertDecision {
            kind: DecisionKind::Command,
            id: id.into(),
            task_id: task.clone(),
            step_id: None,
            question: "run `deploy --token s3cret`?".into(),
            options: vec!["allow".into(), "deny".into()],
            choice: "allow".into(),
            decided_by: "user".into(),
            reason: "asked".into(),
            risk: None,
            at: days_ago(age),
        }])
        .await;
    }

    /// (events, log lines, transcript there) of `task`.
    async fn history(&self, task: &TaskId) -> (i64, i64, bool) {
        let mut conn = self.conn().await;
        let count = |table: &str| format!("SELECT count(*) FROM {table} WHERE task_id = ?");
        let (events,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count("events")))
            .bind(task.as_str())
            .fetch_one(&mut conn)
            .await
            .expect("events");
        let (logs,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count("logs")))
            .bind(task.as_str())
            .fetch_one(&mut conn)
            .await
            .expect("logs");
        let transcript = self.paths.agent_transcript(task.as_str(), "agent").exists();
        (events, logs, transcript)
    }

    async fn decisions(&self) -> Vec<String> {
        ledger::list_decisions(&self.store.reader, None)
            .await
            .expect("decisions")
            .into_iter()
            .map(|d| d.id)
            .collect()
    }

    /// A prune as at the engine's start.
    async fn prune(&self, retention: &RetentionSettings) -> Pruned {
        self.sweep(retention, Sweep::Full).await
    }

    async fn sweep(&self, retention: &RetentionSettings, sweep: Sweep) -> Pruned {
        prune(
            &self.store,
            &self.paths,
            retention,
            OffsetDateTime::now_utc(),
            sweep,
            &CancellationToken::new(),
        )
        .await
        .expect("prune")
    }
}

#[tokio::test]
async fn old_finished_history_goes_and_recent_or_unfinished_history_stays() {
    let p = project().await;
    let mut old = Vec::new();
    for (id, status) in [
        ("t-old-ok", TaskStatus::Succeeded),
        ("t-old-failed", TaskStatus::Failed),
        ("t-old-cancelled", TaskStatus::Cancelled),
    ] {
        old.push(p.task(id, status, 100, 3).await);
    }
    let mut kept = vec![p.task("t-recent", TaskStatus::Succeeded, 10, 3).await];
    for (id, status) in [
        ("t-queued", TaskStatus::Queued),
        ("t-running", TaskStatus::Running),
        ("t-waiting", TaskStatus::Waiting),
    ] {
        kept.push(p.task(id, status, 200, 3).await);
    }
    p.decision(&old[0], "d-old", 100).await;
    p.decision(&kept[0], "d-recent", 10).await;

    let pruned = p.prune(&RetentionSettings::default()).await;

    assert_eq!(
        pruned,
        Pruned {
            tasks: 3,
            events: 9,
            logs: 6,
            transcripts: 3,
            decisions: 0,
        }
    );
    for task in &old {
        assert_eq!(p.history(task).await, (0, 0, false), "{task}");
        // The task and its steps stay: the history list and `show` keep working.
        let view = read::get_task(&p.store.reader, task)
            .await
            .expect("read")
            .expect("the task is still there");
        assert_eq!(view.steps.len(), 1);
        assert_eq!(
            view.steps[0].output.as_deref(),
            Some("the step's output stays with the step")
        );
    }
    for task in &kept {
        assert_eq!(p.history(task).await, (3, 2, true), "{task}");
    }
    assert_eq!(p.decisions().await, vec!["d-old", "d-recent"]);
    // Nothing is left to prune, and the next prune looks only at what finished since.
    assert_eq!(
        p.prune(&RetentionSettings::default()).await,
        Pruned::default()
    );
    assert!(p.paths.logs_dir().join("agents").is_dir());
}

#[tokio::test]
async fn more_than_one_write_or_one_pass_holds_is_pruned_to_the_end() {
    let p = project().await;
    // One task with more events than a write deletes, and more tasks than a pass reads.
    let big = p.task("t-big", TaskStatus::Succeeded, 100, 12_000).await;
    let mut ops = Vec::new();
    for n in 0..1_100 {
        let task = TaskId::from(format!("t-many-{n:04}").as_str());
        ops.push(WriteOp::InsertTask(NewTask {
            id: task.clone(),
            description: "many".into(),
            workflow: "w".into(),
            workflow_reason: "test".into(),
            plan: "{}".into(),
            priority: Priority::Normal,
            inputs: "{}".into(),
            created_at: days_ago(101),
        }));
        ops.push(WriteOp::Event(EngineEvent::TaskStarted { task_id: task }));
    }
    p.write(ops).await;
    sqlx::query("UPDATE tasks SET status = 'succeeded', finished_at = ? WHERE id LIKE 't-many-%'")
        .bind(days_ago(100))
        .execute(&mut p.conn().await)
        .await
        .expect("age them");

    let pruned = p.prune(&retention(days(90), Keep::Forever)).await;

    assert_eq!(pruned.tasks, 1_101);
    assert_eq!(pruned.events, 12_000 + 1_100);
    assert_eq!(p.history(&big).await, (0, 0, false));
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(&mut p.conn().await)
        .await
        .expect("count");
    assert_eq!(left, 0);
    // An empty event log still numbers on from where it was.
    let last = bosun::store::summary::last_seq(&p.store.reader)
        .await
        .expect("last seq");
    assert_eq!(last, 12_000 + 1_100);
}

#[tokio::test]
async fn retention_audit_prunes_old_decisions_only_and_keeps_the_tallies() {
    let p = project().await;
    let task = p.task("t-old", TaskStatus::Succeeded, 100, 2).await;
    for n in 0..3 {
        p.decision(&task, &format!("d-old-{n}"), 40).await;
    }
    p.decision(&task, "d-recent", 10).await;
    let audit = p.paths.audit_log();
    std::fs::write(&audit, "{\"seq\":1}\n").expect("audit log");
    let stats = |p: &Project| {
        let reader = p.store.reader.clone();
        async move {
            ledger::stats(&reader, &bosun::time::today_start())
                .await
                .expect("stats")
                .all_time
        }
    };
    let before = stats(&p).await;
    assert_eq!(before.decisions, 4);

    let pruned = p.prune(&retention(Keep::Forever, days(30))).await;

    assert_eq!(pruned.decisions, 3);
    assert_eq!(p.decisions().await, vec!["d-recent"]);
    // History is kept forever here: the task's events stay.
    assert_eq!(p.history(&task).await, (2, 2, true));
    assert_eq!(
        stats(&p).await,
        before,
        "the tallies count what was decided"
    );
    assert_eq!(
        std::fs::read_to_string(&audit).expect("read"),
        "{\"seq\":1}\n"
    );
}

#[tokio::test]
async fn forever_keeps_everything_however_old() {
    let p = project().await;
    let task = p.task("t-ancient", TaskStatus::Succeeded, 3_650, 2).await;
    p.decision(&task, "d-ancient", 3_650).await;
    let pruned = p.prune(&retention(Keep::Forever, Keep::Forever)).await;
    assert_eq!(pruned, Pruned::default());
    assert_eq!(p.history(&task).await, (2, 2, true));
    assert_eq!(p.decisions().await, vec!["d-ancient"]);
}

#[tokio::test]
async fn a_stopping_engine_stops_the_prune_and_the_next_one_finishes_it() {
    let p = project().await;
    let task = p.task("t-old", TaskStatus::Succeeded, 100, 2).await;
    let stop = CancellationToken::new();
    stop.cancel();
    let pruned = prune(
        &p.store,
        &p.paths,
        &RetentionSettings::default(),
        OffsetDateTime::now_utc(),
        Sweep::Full,
        &stop,
    )
    .await
    .expect("prune");
    assert_eq!(p.history(&task).await, (2, 2, true), "{pruned:?}");
    p.prune(&RetentionSettings::default()).await;
    assert_eq!(p.history(&task).await, (0, 0, false));
}

#[tokio::test]
async fn an_hourly_prune_starts_where_the_last_one_stopped_and_the_start_looks_at_all() {
    let p = project().await;
    let first = p.task("t-first", TaskStatus::Succeeded, 100, 2).await;
    assert_eq!(
        p.sweep(&RetentionSettings::default(), Sweep::SinceLast)
            .await
            .tasks,
        1
    );
    assert_eq!(p.history(&first).await, (0, 0, false));
    // Finished before the last prune's cutoff yet with history (a clock that was set ahead):
    // the hourly prune does not look back there, the next start's does.
    let late = p.task("t-late", TaskStatus::Succeeded, 95, 2).await;
    let hourly = p
        .sweep(&RetentionSettings::default(), Sweep::SinceLast)
        .await;
    assert_eq!(hourly, Pruned::default());
    assert_eq!(p.history(&late).await, (2, 2, true));
    assert_eq!(p.prune(&RetentionSettings::default()).await.tasks, 1);
    assert_eq!(p.history(&late).await, (0, 0, false));
}

/// Runs `f` on a connection of the test's own to the project's database.
fn with_db<T>(p: &support::Project, f: impl AsyncFnOnce(&mut SqliteConnection) -> T) -> T {
    let db = p.path(".bosun/state/bosun.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut conn = connect_options(&db)
            .expect("options")
            .connect()
            .await
            .expect("connect");
        f(&mut conn).await
    })
}

/// `sql`, a count about `task`.
fn count(p: &support::Project, sql: &str, task: &str) -> i64 {
    with_db(p, async |conn| {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
            .bind(task)
            .fetch_one(conn)
            .await
            .expect("count");
        n
    })
}

/// Makes `task` finished `age` days ago.
fn age_task(p: &support::Project, task: &str, age: u64) {
    with_db(p, async |conn| {
        sqlx::query("UPDATE tasks SET finished_at = ? WHERE id = ?")
            .bind(days_ago(age))
            .bind(task)
            .execute(conn)
            .await
            .expect("age the task")
    });
}

#[test]
fn the_engine_prunes_old_history_by_itself_as_it_starts() {
    let p = support::Project::new();
    p.write(
        ".bosun/workflows/w.yaml",
        "steps:\n  - { id: say, skill: shell, with: { run: \"echo the-secret\" } }\n",
    );
    p.write(".bosun/config.yaml", "retention:\n  history: 30d\n");
    let engine = p.start_engine(&[]);
    let old = p.submit(&["--workflow", "w", "a task of long ago"]);
    let recent = p.submit(&["--workflow", "w", "a task of last week"]);
    for task in [&old, &recent] {
        p.wait_finished(task, Duration::from_secs(30));
    }
    engine.stop();
    let events = "SELECT count(*) FROM events WHERE task_id = ?";
    assert!(count(&p, events, &old) > 0 && count(&p, events, &recent) > 0);
    // Aged as a project that ran them 40 and 7 days ago would have them; each step with a
    // transcript as an agent's would be.
    for (task, age) in [(&old, 40), (&recent, 7)] {
        age_task(&p, task, age);
        std::fs::write(
            p.path(&format!(".bosun/logs/agents/{task}-say.jsonl")),
            "{}\n",
        )
        .expect("transcript");
    }

    let engine = p.start_engine(&[]);
    // Its transcript goes last, after its rows.
    let transcript = p.path(&format!(".bosun/logs/agents/{old}-say.jsonl"));
    support::eventually(Duration::from_secs(30), "the start's prune", || {
        !transcript.exists()
    });
    assert_eq!(count(&p, events, &old), 0);
    assert_eq!(
        count(&p, "SELECT count(*) FROM logs WHERE task_id = ?", &old),
        0
    );
    assert!(count(&p, events, &recent) > 0);
    assert!(
        p.path(&format!(".bosun/logs/agents/{recent}-say.jsonl"))
            .exists()
    );
    // The pruned task is still there, with its steps and their output.
    let shown = p.show(&old);
    assert_eq!(shown["status"], "succeeded");
    assert_eq!(
        support::Project::step(&shown, "say")["output"],
        "the-secret\n"
    );
    let stderr = engine.stop();
    assert!(
        stderr.contains("pruned the history of tasks finished more than 30d ago"),
        "{stderr}"
    );
}
