//! What a project's history looks like to its front ends, against real SQLite files: an
//! autonomy rate over the choices a person would otherwise have made, with routine checks
//! counted apart.

mod support;

use bosun::engine::lock::{LockState, try_lock};
use bosun::protocol::{DecisionKind, Priority, TaskId, TaskStatus};
use bosun::store::{NewTask, Store, WriteOp, ledger};
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

/// The project's store, opened as the CLI opens it.
async fn store(p: &Project) -> Store {
    let db = p.path(".bosun/state/bosun.db");
    std::fs::create_dir_all(db.parent().expect("state dir")).expect("state dir");
    Store::open(&db).await.expect("open")
}

/// Tasks `t-0000`…, each finished a minute after the one before.
async fn finished_tasks(p: &Project, store: &Store, n: usize) {
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
        ops.push(WriteOp::SetTaskStatus {
            id: TaskId::from(id.as_str()),
            status: TaskStatus::Succeeded,
            error: None,
            finished_at: Some(finished),
        });
        store.writer.write(ops).await.expect("write");
    }
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
    finished_tasks(&p, &store, 1).await;
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
