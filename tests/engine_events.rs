//! The engine in-process, as a front end (the TUI) uses it: commands through an `EngineHandle`,
//! past-tense events out, in commit order.

use std::time::Duration;

use bosun::config::{ProjectPaths, Settings};
use bosun::engine::Engine;
use bosun::engine::lock::{EngineLease, LockState, try_lock};
use bosun::protocol::{EngineEvent, EventEnvelope, Priority, SubmitRequest, TaskId, TaskStatus};
use bosun::store::Store;
use tokio::sync::broadcast::Receiver;

/// An engine and the lease it runs under (dropping the lease would fence its claims).
async fn start(dir: &std::path::Path) -> (Engine, EngineLease) {
    let paths = ProjectPaths::new(dir).expect("paths");
    paths.ensure_state_dirs().expect("dirs");
    let LockState::Acquired(lease) = try_lock(&paths.database()).await.expect("lease") else {
        panic!("another engine holds the lease");
    };
    let store = Store::open(&paths.database()).await.expect("store");
    let engine = Engine::start(paths, Settings::default(), store, &lease)
        .await
        .expect("engine");
    (engine, lease)
}

fn request(description: &str) -> SubmitRequest {
    SubmitRequest {
        description: description.into(),
        workflow: None,
        inputs: Default::default(),
        priority: Priority::Normal,
        isolation: None,
        base: None,
    }
}

/// Events about `id` until its `TaskFinished` (bounded).
async fn events_until_finished(
    rx: &mut Receiver<EventEnvelope>,
    id: &TaskId,
) -> Vec<EventEnvelope> {
    let mut seen = Vec::new();
    loop {
        let envelope = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an event in time")
            .expect("the stream is open");
        if envelope.event.task_id() != id {
            continue;
        }
        let done = matches!(envelope.event, EngineEvent::TaskFinished { .. });
        seen.push(envelope);
        if done {
            return seen;
        }
    }
}

/// The status the task finished with, if the last event says it finished.
fn final_status(events: &[EventEnvelope]) -> Option<TaskStatus> {
    match events.last().map(|e| &e.event) {
        Some(EngineEvent::TaskFinished { status, .. }) => Some(*status),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_announces_each_change_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _lease) = start(dir.path()).await;
    let mut rx = engine.handle.subscribe();
    let id = engine
        .handle
        .submit(request("echo hi"))
        .await
        .expect("submitted");
    let events = events_until_finished(&mut rx, &id).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.event.kind()).collect();
    assert_eq!(
        kinds,
        [
            "task_submitted",
            "task_started",
            "decision_made",
            "step_started",
            "step_finished",
            "task_finished"
        ]
    );
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(final_status(&events), Some(TaskStatus::Succeeded));
    engine.shutdown().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_submissions_are_refused_and_cancel_stops_a_running_task() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _lease) = start(dir.path()).await;
    let mut rx = engine.handle.subscribe();
    let mut bad = request("x");
    bad.workflow = Some("no-such-workflow".into());
    let err = engine.handle.submit(bad).await.expect_err("refused");
    assert!(err.contains("unknown workflow `no-such-workflow`"), "{err}");

    let id = engine
        .handle
        .submit(request("sleep 30"))
        .await
        .expect("submitted");
    loop {
        let e = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("event")
            .expect("open");
        if matches!(&e.event, EngineEvent::StepStarted { task_id, .. } if *task_id == id) {
            break;
        }
    }
    assert!(engine.handle.cancel(id.clone()).await.expect("cancel"));
    let events = events_until_finished(&mut rx, &id).await;
    assert_eq!(final_status(&events), Some(TaskStatus::Cancelled));
    engine.shutdown().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_committed_by_another_connection_is_found_without_a_nudge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _lease) = start(dir.path()).await;
    let mut rx = engine.handle.subscribe();
    // A second store on the same file, as another process has: it commits, never nudges.
    let paths = ProjectPaths::new(dir.path()).expect("paths");
    let other = Store::open(&paths.database()).await.expect("second store");
    let id = bosun::engine::submit::submit(
        &paths,
        &Default::default(),
        &other,
        &request("echo from elsewhere"),
    )
    .await
    .expect("submitted");
    let events = events_until_finished(&mut rx, &id).await;
    assert_eq!(final_status(&events), Some(TaskStatus::Succeeded));
    other.close().await;
    engine.shutdown().await.expect("a clean stop");
}
