//! The store against real SQLite files: atomic requests, conditional claims, group commit from
//! many concurrent writers, and events broadcast only after they are durable, in order.

use std::time::Duration;

use bosun::engine::lock::{LockState, try_lock};
use bosun::protocol::{EngineEvent, Priority, TaskId, TaskStatus};
use bosun::store::{NewTask, Store, StoreError, WriteOp, read};

fn new_task(id: &str) -> NewTask {
    NewTask {
        id: TaskId::from(id),
        description: format!("task {id}"),
        workflow: "shell".into(),
        workflow_reason: "test".into(),
        plan: "{}".into(),
        priority: Priority::Normal,
        inputs: "{}".into(),
        created_at: bosun::time::now_rfc3339(),
    }
}

async fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("bosun.db"))
        .await
        .expect("open");
    (dir, store)
}

#[tokio::test]
async fn a_request_commits_whole_or_not_at_all() {
    let (_dir, store) = open().await;
    store
        .writer
        .write(vec![WriteOp::InsertTask(new_task("t-1"))])
        .await
        .expect("insert");
    // The second op conflicts (the task is not queued twice), so the first is rolled back too.
    let err = store
        .writer
        .write(vec![
            WriteOp::InsertTask(new_task("t-2")),
            WriteOp::CancelQueued {
                id: "t-1".into(),
                at: "x".into(),
            },
            WriteOp::CancelQueued {
                id: "t-1".into(),
                at: "x".into(),
            },
        ])
        .await
        .expect_err("conflict");
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(
        read::get_task(&store.reader, &"t-2".into())
            .await
            .expect("read")
            .is_none()
    );
    let t1 = read::get_task(&store.reader, &"t-1".into())
        .await
        .expect("read")
        .expect("t-1");
    assert_eq!(t1.status, TaskStatus::Queued);
}

#[tokio::test]
async fn a_task_is_claimed_once_and_never_after_being_cancelled() {
    let (dir, store) = open().await;
    // Claims are fenced by the engine lease: only its holder claims.
    let LockState::Acquired(lease) = try_lock(&dir.path().join("bosun.db")).await.expect("lease")
    else {
        panic!("no other engine runs here");
    };
    store
        .writer
        .write(vec![
            WriteOp::InsertTask(new_task("t-1")),
            WriteOp::InsertTask(new_task("t-2")),
        ])
        .await
        .expect("insert");
    let claim = |id: &str| WriteOp::ClaimTask {
        id: id.into(),
        run_id: "r-1".into(),
        at: "now".into(),
        owner: lease.owner().to_string(),
    };
    store
        .writer
        .write(vec![claim("t-1")])
        .await
        .expect("first claim");
    assert!(matches!(
        store.writer.write(vec![claim("t-1")]).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .writer
        .write(vec![WriteOp::CancelQueued {
            id: "t-2".into(),
            at: "now".into(),
        }])
        .await
        .expect("cancel");
    assert!(matches!(
        store.writer.write(vec![claim("t-2")]).await,
        Err(StoreError::Conflict(_))
    ));
}

#[tokio::test]
async fn concurrent_writers_are_group_committed_and_events_come_out_in_order() {
    let (dir, store) = open().await;
    let mut events = store.writer.subscribe();
    let writers: Vec<_> = (0..200)
        .map(|i| {
            let writer = store.writer.clone();
            tokio::spawn(async move {
                let id = TaskId(format!("t-{i:03}"));
                writer
                    .write(vec![
                        WriteOp::InsertTask(new_task(id.as_str())),
                        WriteOp::Event(EngineEvent::TaskSubmitted {
                            task_id: id,
                            workflow: "shell".into(),
                        }),
                    ])
                    .await
            })
        })
        .collect();
    for w in writers {
        w.await.expect("join").expect("write");
    }
    let mut seqs = Vec::new();
    while seqs.len() < 200 {
        let envelope = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("event")
            .expect("recv");
        // Announced only after commit: the task must already be readable by another connection.
        let task = read::get_task(&store.reader, envelope.event.task_id())
            .await
            .expect("read");
        assert!(
            task.is_some(),
            "event {} announced before its commit",
            envelope.seq
        );
        seqs.push(envelope.seq);
    }
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers increase"
    );
    assert_eq!(
        read::list_tasks(&store.reader, None, 1000)
            .await
            .expect("list")
            .len(),
        200
    );
    let tail = read::event_tail(&store.reader, 10).await.expect("tail");
    assert_eq!(tail.len(), 10);
    assert_eq!(tail.last().map(|e| e.seq), seqs.last().copied());
    store.close().await;
    // Everything acknowledged is there after reopening.
    let again = Store::open(&dir.path().join("bosun.db"))
        .await
        .expect("reopen");
    assert_eq!(
        read::list_tasks(&again.reader, None, 1000)
            .await
            .expect("list")
            .len(),
        200
    );
    assert_eq!(again.quick_check().await.expect("check"), "ok");
}

#[tokio::test]
async fn prefixes_resolve_only_when_unique() {
    let (_dir, store) = open().await;
    for id in ["t-abc111", "t-abc222", "t-xyz333"] {
        store
            .writer
            .write(vec![WriteOp::InsertTask(new_task(id))])
            .await
            .expect("insert");
    }
    assert_eq!(
        read::resolve_task_id(&store.reader, "t-x")
            .await
            .expect("ok"),
        Some("t-xyz333".into())
    );
    assert!(matches!(
        read::resolve_task_id(&store.reader, "t-abc").await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        read::resolve_task_id(&store.reader, "t-nope")
            .await
            .expect("ok"),
        None
    );
}

#[tokio::test]
async fn a_failing_request_in_a_busy_batch_fails_alone() {
    let (_dir, store) = open().await;
    store
        .writer
        .write(vec![WriteOp::InsertTask(new_task("t-dup"))])
        .await
        .expect("insert");
    let mut handles = Vec::new();
    for i in 0..50 {
        let writer = store.writer.clone();
        handles.push(tokio::spawn(async move {
            // Every tenth request re-inserts an existing id: a constraint violation.
            let id = if i % 10 == 0 {
                "t-dup".to_string()
            } else {
                format!("t-{i:03}")
            };
            writer.write(vec![WriteOp::InsertTask(new_task(&id))]).await
        }));
    }
    let mut failed = 0;
    for h in handles {
        if h.await.expect("join").is_err() {
            failed += 1;
        }
    }
    assert_eq!(failed, 5);
    assert_eq!(
        read::list_tasks(&store.reader, None, 100)
            .await
            .expect("list")
            .len(),
        46
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_first_opens_of_a_new_database_all_succeed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bosun.db");
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            tokio::spawn(async move { Store::open(&path).await })
        })
        .collect();
    for open in opens {
        let store = open.await.expect("join").expect("every open succeeds");
        assert!(
            read::list_tasks(&store.reader, None, 1)
                .await
                .expect("schema")
                .is_empty()
        );
    }
}

/// Closing leaves no WAL behind: the writer closes last, so it checkpoints the log into the
/// database and removes it; a log left behind grew with every process and was read again by
/// each one that opened the store.
#[tokio::test]
async fn closing_the_store_folds_the_wal_into_the_database() {
    let (dir, store) = open().await;
    store
        .writer
        .write(vec![WriteOp::InsertTask(new_task("t-wal"))])
        .await
        .expect("insert");
    let wal = dir.path().join("bosun.db-wal");
    assert!(wal.exists(), "a write goes to the WAL first");
    store.close().await;
    let left = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(left, 0, "the WAL was left with {left} bytes");
    let store = Store::open(&dir.path().join("bosun.db"))
        .await
        .expect("reopen");
    let task = read::get_task(&store.reader, &TaskId::from("t-wal")).await;
    assert!(
        matches!(task, Ok(Some(_))),
        "the task is in the database: {task:?}"
    );
}
