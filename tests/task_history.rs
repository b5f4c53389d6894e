//! What a project's history looks like to its front ends, against real SQLite files: one count
//! of a task's steps for `bosun tasks` and the interface, a first snapshot bounded whatever
//! the history's size (older tasks read a page or a search at a time), and an autonomy rate
//! over the choices a person would otherwise have made, with routine checks counted apart.

mod support;

use bosun::engine::lock::{LockState, try_lock};
use bosun::protocol::{DecisionKind, Priority, StepStatus, TaskId, TaskStatus};
use bosun::store::{NewTask, StepRow, Store, WriteOp, history, ledger};
use serde_json::json;
use support::Project;

fn stdout(out: std::process::Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn new_task(id: &str, description: &str) -> NewTask {
    NewTask {
        id: TaskId::from(id),
        description: description.into(),
        workflow: "ci".into(),
        workflow_reason: "test".into(),
        plan: "{}".into(),
        priority: Priority::Normal,
        inputs: "{}".into(),
        created_at: bosun::time::now_rfc3339(),
    }
}

fn step(task: &str, id: &str, ord: i64, parent: Option<&str>, skill: &str) -> WriteOp {
    WriteOp::UpsertStep(StepRow {
        run_id: format!("r-{task}"),
        id: id.into(),
        task_id: TaskId::from(task),
        ord,
        parent: parent.map(String::from),
        skill: skill.into(),
        status: StepStatus::Succeeded,
        attempts: 1,
        exit_code: Some(0),
        output: None,
        stderr: None,
        error: None,
        choice: None,
        started_at: None,
        finished_at: None,
        agent: None,
    })
}

/// The project's store, opened as the CLI opens it.
async fn store(p: &Project) -> Store {
    let db = p.path(".bosun/state/bosun.db");
    std::fs::create_dir_all(db.parent().expect("state dir")).expect("state dir");
    Store::open(&db).await.expect("open")
}

/// Tasks `t-0000`…, each finished a minute after the one before (`steps` per task, when
/// given: a lint step, then a parallel block of two tests and a `decide` step).
async fn finished_tasks(p: &Project, store: &Store, n: usize, with_steps: bool) {
    let db = p.path(".bosun/state/bosun.db");
    let LockState::Acquired(lease) = try_lock(&db).await.expect("lease") else {
        panic!("no engine runs here");
    };
    for i in 0..n {
        let id = format!("t-{i:04}");
        let finished = format!("2026-01-01T{:02}:{:02}:00.000Z", i / 60 % 24, i % 60);
        let mut ops = vec![
            WriteOp::InsertTask(new_task(&id, &format!("change number {i}"))),
            WriteOp::ClaimTask {
                id: TaskId::from(id.as_str()),
                run_id: format!("r-{id}"),
                at: finished.clone(),
                owner: lease.owner().to_string(),
            },
            WriteOp::InsertRun {
                id: format!("r-{id}"),
                task_id: TaskId::from(id.as_str()),
                number: 1,
                at: finished.clone(),
            },
        ];
        if with_steps {
            ops.extend([
                step(&id, "lint", 0, None, "shell"),
                step(&id, "tests", 1, None, "parallel"),
                step(&id, "unit", 2, Some("tests"), "shell"),
                step(&id, "doc", 3, Some("tests"), "shell"),
                step(&id, "ship", 4, None, "decide"),
            ]);
        }
        ops.push(WriteOp::SetTaskStatus {
            id: TaskId::from(id.as_str()),
            status: TaskStatus::Succeeded,
            error: None,
            finished_at: Some(finished),
        });
        store.writer.write(ops).await.expect("write");
    }
}

/// `bosun tasks` once counted a parallel block's own row (`5/5`) where the interface did not
/// (`4/4`): both now show the same count, of the steps that do work and `decide` steps.
#[tokio::test]
async fn bosun_tasks_and_the_interface_count_the_same_steps() {
    let p = Project::new();
    let store = store(&p).await;
    finished_tasks(&p, &store, 1, true).await;
    let snapshot = bosun::engine::cached_snapshot(&store.reader, None, 10)
        .await
        .expect("snapshot");
    store.close().await;
    let row = &snapshot.tasks[0];
    assert_eq!((row.steps_done, row.steps_total), (4, 4));
    let listed = stdout(p.bosun(&["tasks"]));
    let line = listed
        .lines()
        .find(|l| l.starts_with("t-0000"))
        .expect("the task is listed");
    assert!(line.contains(" 4/4 "), "{listed}");
}

/// The first frame reads what is open and the newest finished tasks, not the whole history;
/// older ones come a page at a time, and a search finds any of them in the store.
#[tokio::test]
async fn the_first_snapshot_is_bounded_and_older_tasks_are_read_by_page_or_search() {
    let p = Project::new();
    let store = store(&p).await;
    let total = history::PAGE as usize * 2 + 50;
    finished_tasks(&p, &store, total, false).await;
    store
        .writer
        .write(vec![WriteOp::InsertTask(new_task(
            "t-open",
            "still queued",
        ))])
        .await
        .expect("queue one");

    let snapshot = bosun::engine::cached_snapshot(&store.reader, None, 10)
        .await
        .expect("snapshot");
    let ids: Vec<&str> = snapshot.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids.len(), history::PAGE as usize + 1, "open + one page");
    assert!(ids.contains(&"t-open"), "what is open is always there");
    let newest = format!("t-{:04}", total - 1);
    assert!(ids.contains(&newest.as_str()), "the newest finished task");
    assert!(!ids.contains(&"t-0000"), "the oldest is left in the store");
    assert_eq!(snapshot.stats.tasks.values().sum::<i64>(), total as i64 + 1);

    // Page after page, newest first, down to the oldest, each task once.
    let mut seen: Vec<String> = snapshot
        .tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Succeeded)
        .map(|t| t.id.to_string())
        .collect();
    let mut cursor = snapshot.older.clone();
    while let Some(before) = cursor {
        let page = history::finished_page(&store.reader, Some(&before), history::PAGE)
            .await
            .expect("page");
        seen.extend(page.tasks.iter().map(|t| t.id.to_string()));
        cursor = page.next;
    }
    let expected: Vec<String> = (0..total).rev().map(|i| format!("t-{i:04}")).collect();
    assert_eq!(seen, expected);

    let found = history::search(&store.reader, "Change Number 7")
        .await
        .expect("search");
    let found: Vec<&str> = found.iter().map(|t| t.id.as_str()).collect();
    assert!(found.contains(&"t-0007"), "{found:?}");
    assert!(found.contains(&"t-0070"), "{found:?}");
    assert!(!found.contains(&"t-0008"), "{found:?}");
    store.close().await;
}

fn decision(n: usize, kind: DecisionKind, decided_by: &str, choice: &str) -> WriteOp {
    WriteOp::InsertDecision {
        kind,
        id: format!("d-{n}"),
        task_id: TaskId::from("t-0000"),
        step_id: Some("lint".into()),
        question: "Run `cargo test`?".into(),
        options: vec!["allow".into(), "deny".into()],
        choice: choice.into(),
        decided_by: decided_by.into(),
        reason: "test".into(),
        risk: Some("low".into()),
        at: bosun::time::now_rfc3339(),
    }
}

/// A project whose workflows only ran their own commands made no choice: it shows no rate,
/// not 100%. Questions and what the policy settled in their place are the choices.
#[tokio::test]
async fn routine_checks_are_counted_apart_from_the_choices_in_the_rate() {
    let p = Project::new();
    let store = store(&p).await;
    finished_tasks(&p, &store, 1, false).await;
    let routine: Vec<WriteOp> = (0..3)
        .map(|n| decision(n, DecisionKind::Command, "policy", "allow"))
        .collect();
    store.writer.write(routine).await.expect("routine checks");
    let today = bosun::time::format_rfc3339(
        time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT),
    );
    let stats = ledger::stats(&store.reader, &today).await.expect("stats");
    let c = &stats.all_time;
    assert_eq!((c.decisions, c.routine, c.choices), (3, 3, 0));
    assert_eq!(c.autonomy_rate, None, "no choice was made: no rate");
    let text = stdout(p.bosun(&["stats"]));
    assert!(
        text.contains("no choices yet; 3 routine checks apart"),
        "{text}"
    );

    store
        .writer
        .write(vec![
            decision(10, DecisionKind::Decide, "policy", "small"),
            decision(11, DecisionKind::Failure, "user", "retry"),
            decision(
                12,
                DecisionKind::Command,
                "rule:floor.delete-outside",
                "deny",
            ),
            decision(13, DecisionKind::Command, "remembered:task", "allow"),
        ])
        .await
        .expect("choices");
    let stats = stdout(p.bosun(&["stats", "--json"]));
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("json");
    for period in ["today", "all_time"] {
        let c = &stats[period];
        let counts = json!([
            c["decisions"],
            c["routine"],
            c["choices"],
            c["autonomous"],
            c["asked"]
        ]);
        assert_eq!(counts, json!([7, 3, 4, 3, 1]), "{stats:#}");
        assert_eq!(c["autonomy_rate"], json!(0.75), "{stats:#}");
        assert_eq!(
            c["choices_by"],
            json!({"policy": 1, "user": 1, "rule:floor.delete-outside": 1, "remembered:task": 1})
        );
        assert_eq!(c["by"]["policy"], json!(4), "every decision stays in `by`");
    }
    let text = stdout(p.bosun(&["stats"]));
    assert!(
        text.contains("75.0% of choices (3 of 4 settled without you); 3 routine checks apart"),
        "{text}"
    );
    store.close().await;
}

/// A store written before the running totals existed keeps its counts once upgraded: they start
/// from the decisions and tasks it already held.
#[tokio::test]
async fn an_upgraded_store_counts_what_it_already_held() {
    use sqlx::ConnectOptions;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bosun.db");
    let before: Vec<_> = bosun::store::migrations()
        .iter()
        .filter(|m| m.version < 6)
        .cloned()
        .collect();
    let mut conn = bosun::store::connect_options(&db)
        .expect("options")
        .create_if_missing(true)
        .connect()
        .await
        .expect("connect");
    sqlx::migrate::Migrator::with_migrations(before)
        .run_direct(None, &mut conn, false)
        .await
        .expect("the schema before 0006");
    let today = bosun::time::now_rfc3339();
    for sql in [
        "INSERT INTO tasks (id, description, workflow, workflow_reason, plan, status, priority, \
         inputs, created_at) VALUES ('t-1', 'a', 'ci', 'test', '{}', 'succeeded', 1, '{}', ?1), \
         ('t-2', 'b', 'ci', 'test', '{}', 'queued', 1, '{}', ?1)",
        "INSERT INTO decisions (id, task_id, question, options, choice, decided_by, reason, \
         asked_at, at, kind) VALUES \
         ('d-1', 't-1', 'q', '[]', 'allow', 'policy', 'r', ?1, ?1, 'command'), \
         ('d-2', 't-1', 'q', '[]', 'small', 'policy', 'r', ?1, ?1, 'decide'), \
         ('d-3', 't-1', 'q', '[]', 'retry', 'user', 'r', ?1, '2020-01-01T00:00:00.000Z', 'failure')",
    ] {
        sqlx::query(sql)
            .bind(&today)
            .execute(&mut conn)
            .await
            .expect("old rows");
    }
    drop(conn);

    let store = Store::open(&db).await.expect("upgrade");
    let midnight = bosun::time::format_rfc3339(
        time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT),
    );
    let stats = ledger::stats(&store.reader, &midnight)
        .await
        .expect("stats");
    let count = |c: &bosun::protocol::DecisionCounts| (c.decisions, c.routine, c.choices, c.asked);
    assert_eq!(count(&stats.all_time), (3, 1, 2, 1));
    assert_eq!(
        count(&stats.today),
        (2, 1, 1, 0),
        "the 2020 failure is not today's"
    );
    assert_eq!(
        stats.tasks,
        [("queued".to_string(), 1), ("succeeded".to_string(), 1)].into()
    );
    store.close().await;
}

/// The Logs pane follows the steps running and those that just finished, read by index: not
/// the steps of the whole history.
#[tokio::test]
async fn the_logs_read_the_steps_running_or_just_finished() {
    let p = Project::new();
    let store = store(&p).await;
    finished_tasks(&p, &store, 1, false).await;
    let now = bosun::time::now_rfc3339();
    let at = |status: StepStatus, finished: Option<&str>, id: &str, ord: i64| {
        let WriteOp::UpsertStep(mut row) = step("t-0000", id, ord, None, "shell") else {
            unreachable!("step() makes a step row")
        };
        row.status = status;
        row.output = Some(format!("{id} said this\n"));
        row.finished_at = finished.map(String::from);
        WriteOp::UpsertStep(row)
    };
    store
        .writer
        .write(vec![
            at(StepStatus::Running, None, "build", 0),
            at(StepStatus::Succeeded, Some(&now), "lint", 1),
            at(
                StepStatus::Succeeded,
                Some("2020-01-01T00:00:00.000Z"),
                "old",
                2,
            ),
        ])
        .await
        .expect("steps");
    let since =
        bosun::time::format_rfc3339(time::OffsetDateTime::now_utc() - time::Duration::seconds(10));
    let outputs = bosun::store::summary::recent_outputs(&store.reader, &since)
        .await
        .expect("outputs");
    let seen: Vec<(&str, bool)> = outputs
        .iter()
        .map(|o| (o.step.as_str(), o.running))
        .collect();
    assert_eq!(seen, [("build", true), ("lint", false)]);
    store.close().await;
}
