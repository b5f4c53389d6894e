//! [`gather`] on a real store in a temporary project: two runs of an agent step, its
//! transcript written by hand (the real agent CLIs run in `tests/`, not here), a worktree with
//! a merge, and a second task whose rows must stay out of the first one's export.

use serde_json::{Value, json};
use sqlx::{ConnectOptions, Connection};

use super::gather;
use crate::config::ProjectPaths;
use crate::protocol::{AgentView, DecisionKind, EngineEvent, MergeStrategy, Priority, StepStatus};
use crate::protocol::{TaskId, TaskStatus};
use crate::store::audit::AuditLog;
use crate::store::worktrees::WorktreeOp;
use crate::store::{NewTask, StepRow, Store, WriteOp, connect_options};

const A: &str = "t-aaaaaaaa";
const B: &str = "t-bbbbbbbb";

fn task(id: &str) -> WriteOp {
    WriteOp::InsertTask(NewTask {
        id: TaskId(id.into()),
        description: format!("task {id}"),
        workflow: "fix".into(),
        workflow_reason: "named with --workflow".into(),
        plan: json!({"workflow": {"name": "fix", "steps": [{"id": "fix"}]}, "skills": {}})
            .to_string(),
        priority: Priority::High,
        inputs: json!({"issue": "42"}).to_string(),
        created_at: "2026-11-24T10:00:00.000Z".into(),
    })
}

fn run(id: &str, task: &str, number: i64) -> WriteOp {
    WriteOp::InsertRun {
        id: id.into(),
        task_id: TaskId(task.into()),
        number,
        at: format!("2026-11-24T10:0{number}:00.000Z"),
    }
}

fn step(run: &str, task: &str, id: &str, agent: Option<AgentView>) -> WriteOp {
    WriteOp::UpsertStep(StepRow {
        run_id: run.into(),
        id: id.into(),
        task_id: TaskId(task.into()),
        ord: 0,
        parent: None,
        skill: if agent.is_some() { "claude" } else { "shell" }.into(),
        status: StepStatus::Succeeded,
        attempts: 1,
        exit_code: Some(0),
        output: Some(format!("output of {id} in {run}")),
        stderr: Some("a warning\n".into()),
        error: None,
        choice: None,
        started_at: Some("2026-11-24T10:01:00.000Z".into()),
        finished_at: Some("2026-11-24T10:01:30.000Z".into()),
        agent,
    })
}

fn agent(cost: f64, input: u64) -> Option<AgentView> {
    Some(AgentView {
        adapter: "claude-code".into(),
        session_id: Some("s-1".into()),
        turns: 2,
        cost_usd: cost,
        input_tokens: input,
        output_tokens: 10,
        tool_calls: 1,
        ..AgentView::default()
    })
}

fn decision(task: &str, id: &str) -> WriteOp {
    WriteOp::InsertDecision {
        kind: DecisionKind::Command,
        id: id.into(),
        task_id: TaskId(task.into()),
        step_id: Some("fix".into()),
        question: "Run `make`?".into(),
        options: vec!["allow".into(), "deny".into()],
        choice: "allow".into(),
        decided_by: "policy".into(),
        reason: "low risk".into(),
        risk: Some("low".into()),
        at: "2026-11-24T10:01:00.000Z".into(),
    }
}

fn log(task: &str) -> WriteOp {
    WriteOp::Log {
        level: "warn",
        task_id: Some(TaskId(task.into())),
        step_id: Some("fix".into()),
        message: format!("retrying {task}"),
    }
}

fn entry(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// The project, with both tasks stored and their files written.
async fn project(dir: &std::path::Path) -> (ProjectPaths, Store) {
    let paths = ProjectPaths::new(dir).expect("paths");
    paths.ensure_state_dirs().expect("dirs");
    let store = Store::open(&paths.database()).await.expect("store");
    let (a, b) = (TaskId(A.into()), TaskId(B.into()));
    let at = "2026-11-24T10:00:00.000Z".to_string();
    store
        .writer
        .write(vec![
            task(A),
            task(B),
            run("r-a1", A, 1),
            run("r-a2", A, 2),
            run("r-b1", B, 1),
            step("r-a1", A, "fix", agent(0.25, 100)),
            step("r-a2", A, "fix", agent(0.5, 200)),
            step("r-a2", A, "test", None),
            step("r-b1", B, "fix", agent(9.0, 9000)),
            decision(A, "d-a"),
            decision(B, "d-b"),
            log(A),
            log(B),
            WriteOp::Event(EngineEvent::TaskStarted { task_id: a.clone() }),
            WriteOp::Event(EngineEvent::TaskStarted { task_id: b }),
            WriteOp::Worktree(WorktreeOp::Record {
                task_id: a.clone(),
                path: ".bosun/worktrees/t-aaaaaaaa".into(),
                branch: "bosun/t-aaaaaaaa".into(),
                port_start: 20000,
                ports_per_task: 10,
                at: at.clone(),
            }),
            WriteOp::Worktree(WorktreeOp::QueueMerge {
                task_id: a,
                into: "main".into(),
                strategy: MergeStrategy::Squash,
                requested_by: "user".into(),
                at,
            }),
        ])
        .await
        .expect("write");
    // The current run is set by a claim, which needs an engine's lease: set here directly.
    let mut conn = connect_options(&paths.database())
        .expect("options")
        .connect()
        .await
        .expect("connect");
    sqlx::query("UPDATE tasks SET run_id = 'r-a2', status = 'succeeded' WHERE id = ?")
        .bind(A)
        .execute(&mut conn)
        .await
        .expect("current run");
    conn.close().await.expect("close");

    AuditLog::new(paths.audit_log())
        .append(&[
            entry(json!({"kind": "decision", "task_id": A, "choice": "allow"})),
            entry(json!({"kind": "command", "task_id": B, "argv": ["make"]})),
            entry(json!({"kind": "command", "task_id": A, "argv": ["make", "test"]})),
        ])
        .expect("audit");
    let transcript = paths.agent_transcript(A, "fix");
    std::fs::create_dir_all(transcript.parent().expect("dir")).expect("mkdir");
    std::fs::write(
        &transcript,
        "{\"type\":\"system\",\"session_id\":\"s-1\"}\n\
         {\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}}\n\
         claude: a warning in plain text\n",
    )
    .expect("transcript");
    std::fs::write(paths.agent_transcript(B, "fix"), "{\"type\":\"other\"}\n").expect("b");
    (paths, store)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tasks_export_holds_its_runs_transcripts_cost_and_worktree_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (paths, store) = project(dir.path()).await;
    let export = gather(&store.reader, &paths, &TaskId(A.into()))
        .await
        .expect("gather")
        .expect("the task exists");
    let missing = gather(&store.reader, &paths, &TaskId("t-nonenone".into()))
        .await
        .expect("gather");
    store.close().await;
    assert!(missing.is_none());

    assert_eq!(export.format, "bosun-task-export/1");
    assert_eq!(export.project_root, paths.root.display().to_string());
    assert_eq!(export.task.status, TaskStatus::Succeeded);
    assert_eq!(export.task.priority, Priority::High);
    assert_eq!(export.workflow.plan["workflow"]["steps"][0]["id"], "fix");
    assert_eq!(export.inputs, json!({"issue": "42"}));

    let runs: Vec<(i64, bool, usize)> = export
        .runs
        .iter()
        .map(|r| (r.number, r.current, r.steps.len()))
        .collect();
    assert_eq!(runs, [(1, false, 1), (2, true, 2)]);
    assert_eq!(
        export.runs[0].steps[0].output.as_deref(),
        Some("output of fix in r-a1")
    );

    assert_eq!(export.transcripts.len(), 1, "{:#?}", export.transcripts);
    let transcript = &export.transcripts[0];
    assert_eq!(transcript.step_id, "fix");
    assert_eq!(
        transcript.lines,
        [
            json!({"type": "system", "session_id": "s-1"}),
            json!({"type": "assistant", "message": {"content": [{"type": "text", "text": "hi"}]}}),
            json!("claude: a warning in plain text"),
        ]
    );

    let cost = &export.cost;
    assert_eq!(
        (
            cost.agent_steps,
            cost.input_tokens,
            cost.output_tokens,
            cost.turns
        ),
        (2, 300, 20, 4)
    );
    assert!((cost.cost_usd - 0.75).abs() < 1e-9, "{cost:?}");

    let worktree = export.worktree.as_ref().expect("a worktree");
    assert_eq!(worktree.record.branch, "bosun/t-aaaaaaaa");
    assert_eq!(worktree.merges.len(), 1);
    assert_eq!(
        (
            worktree.merges[0].into.as_str(),
            worktree.merges[0].status.as_str()
        ),
        ("main", "queued")
    );

    let ids: Vec<&str> = export.decisions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["d-a"]);
    let logs: Vec<&str> = export.logs.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(logs, [format!("retrying {A}")]);
    assert_eq!(export.events.len(), 1, "{:#?}", export.events);
    assert_eq!(export.events[0].payload["task_id"], A);
    let audit: Vec<(&Value, &Value)> = export
        .audit
        .iter()
        .map(|r| (&r["seq"], &r["kind"]))
        .collect();
    assert_eq!(
        audit,
        [
            (&json!(1), &json!("decision")),
            (&json!(3), &json!("command"))
        ]
    );

    // The document is the format's JSON, and reads back as what was written.
    let text = serde_json::to_string_pretty(&export).expect("json");
    let back: super::TaskExport = serde_json::from_str(&text).expect("reads back");
    assert_eq!(back, export);
}
