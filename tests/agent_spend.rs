//! What agent steps spent, as the store keeps it for `bosun stats` (migration 0010): running
//! totals per day that follow every write of a step's `agent`, and a store written before them
//! that keeps its figures once upgraded. Real SQLite files, written through the store's writer.

use bosun::protocol::{AgentTotals, AgentView, Priority, StepStatus, TaskId};
use bosun::store::{NewTask, StepRow, Store, WriteOp, ledger};

fn midnight() -> String {
    bosun::time::format_rfc3339(time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT))
}

/// A task with its run, so steps may reference it.
fn task_and_run(id: &str) -> Vec<WriteOp> {
    let at = bosun::time::now_rfc3339();
    vec![
        WriteOp::InsertTask(NewTask {
            id: TaskId::from(id),
            description: format!("task {id}"),
            workflow: "agent".into(),
            workflow_reason: "test".into(),
            plan: "{}".into(),
            priority: Priority::Normal,
            inputs: "{}".into(),
            created_at: at.clone(),
        }),
        WriteOp::InsertRun {
            id: format!("r-{id}"),
            task_id: TaskId::from(id),
            number: 1,
            at,
        },
    ]
}

fn step(task: &str, id: &str, agent: Option<AgentView>) -> WriteOp {
    WriteOp::UpsertStep(StepRow {
        run_id: format!("r-{task}"),
        id: id.into(),
        task_id: TaskId::from(task),
        ord: 0,
        parent: None,
        skill: "claude".into(),
        status: StepStatus::Running,
        attempts: 1,
        exit_code: None,
        output: None,
        stderr: None,
        error: None,
        choice: None,
        started_at: Some(bosun::time::now_rfc3339()),
        finished_at: None,
        agent,
    })
}

fn spent(cost_usd: f64, input: u64, output: u64, turns: u32, calls: u32) -> AgentView {
    AgentView {
        adapter: "claude-code".into(),
        session_id: Some("s".into()),
        cost_usd,
        input_tokens: input,
        output_tokens: output,
        turns,
        tool_calls: calls,
        ..AgentView::default()
    }
}

fn totals(
    steps: i64,
    cost_usd: f64,
    input: i64,
    output: i64,
    turns: i64,
    calls: i64,
) -> AgentTotals {
    AgentTotals {
        steps,
        cost_usd,
        input_tokens: input,
        output_tokens: output,
        turns,
        tool_calls: calls,
        denied: 0,
    }
}

#[tokio::test]
async fn the_totals_follow_every_write_of_a_steps_agent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("bosun.db"))
        .await
        .expect("open");
    let write = |ops: Vec<WriteOp>| {
        let store = store.clone();
        async move { store.writer.write(ops).await.expect("write") }
    };
    let read = || async {
        ledger::agent_stats(&store.reader, &midnight())
            .await
            .expect("stats")
    };
    write(task_and_run("t-1")).await;
    // A pending step has no agent yet: nothing is counted.
    write(vec![step("t-1", "work", None)]).await;
    assert_eq!(read().await.all_time, AgentTotals::default());
    // Started: counted once, whatever it spends later.
    write(vec![step("t-1", "work", Some(spent(0.0, 0, 0, 0, 0)))]).await;
    write(vec![step("t-1", "work", Some(spent(0.0, 0, 0, 0, 1)))]).await;
    write(vec![step("t-1", "work", Some(spent(0.25, 1000, 50, 2, 1)))]).await;
    // Rewritten unchanged (a status change): nothing is added again.
    write(vec![step("t-1", "work", Some(spent(0.25, 1000, 50, 2, 1)))]).await;
    let now = read().await;
    assert_eq!(now.all_time, totals(1, 0.25, 1000, 50, 2, 1));
    assert_eq!(now.today, now.all_time, "all of it was spent today");
    // A second step inserted with its figures already there.
    write(task_and_run("t-2")).await;
    write(vec![step("t-2", "work", Some(spent(0.5, 10, 5, 1, 0)))]).await;
    let now = read().await;
    assert_eq!(now.all_time, totals(2, 0.75, 1010, 55, 3, 1));
    store.close().await;
}

/// A store that held agent steps before the totals existed counts them once upgraded, on the
/// day each step started.
#[tokio::test]
async fn an_upgraded_store_counts_the_agent_steps_it_held() {
    use sqlx::ConnectOptions;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bosun.db");
    let before: Vec<_> = bosun::store::migrations()
        .iter()
        .filter(|m| m.version < 10)
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
        .expect("the schema before 0010");
    let now = bosun::time::now_rfc3339();
    for sql in [
        "INSERT INTO tasks (id, description, workflow, workflow_reason, plan, status, priority, \
         inputs, created_at) VALUES ('t-1', 'a', 'agent', 'test', '{}', 'succeeded', 1, '{}', ?1)",
        "INSERT INTO runs (id, task_id, number, started_at) VALUES ('r-1', 't-1', 1, ?1)",
        "INSERT INTO steps (run_id, id, task_id, ord, skill, status, started_at, agent) VALUES \
         ('r-1', 'old', 't-1', 0, 'claude', 'succeeded', '2020-01-01T00:00:00.000Z', \
          '{\"adapter\":\"claude-code\",\"turns\":3,\"cost_usd\":1.5,\"input_tokens\":100,\
          \"output_tokens\":10,\"tool_calls\":2,\"denied\":1}'), \
         ('r-1', 'new', 't-1', 1, 'claude', 'succeeded', ?1, \
          '{\"adapter\":\"claude-code\",\"turns\":1,\"cost_usd\":0.5,\"input_tokens\":20,\
          \"output_tokens\":2,\"tool_calls\":0,\"denied\":0}'), \
         ('r-1', 'cmd', 't-1', 2, 'shell', 'succeeded', ?1, NULL)",
    ] {
        sqlx::query(sql)
            .bind(&now)
            .execute(&mut conn)
            .await
            .expect("old rows");
    }
    drop(conn);
    let store = Store::open(&db).await.expect("upgrade");
    let stats = ledger::agent_stats(&store.reader, &midnight())
        .await
        .expect("stats");
    let mut all = totals(2, 2.0, 120, 12, 4, 2);
    all.denied = 1;
    assert_eq!(stats.all_time, all);
    assert_eq!(
        stats.today,
        totals(1, 0.5, 20, 2, 1, 0),
        "the 2020 step is not today's"
    );
    store.close().await;
}
