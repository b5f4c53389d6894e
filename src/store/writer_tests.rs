//! The writer when the database cannot grow: SQLite's `max_page_count` gives a real
//! `SQLITE_FULL` without filling a disk (the end-to-end test, `tests/disk_full.rs`, fills a
//! real one), and deleting rows from another connection frees room, as deleting a file would.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::{ConnectOptions, Connection};

use super::WriterHandle;
use crate::store::{StoreError, WriteOp, connect_options, migrate};

/// Bounds a wait that only a bug makes endless.
const BOUND: Duration = Duration::from_secs(30);
/// The one line each test writes: larger than any free page, so it needs new ones.
const MESSAGE_LEN: usize = 100_000;

/// A writer on a database that has no page to spare, and the database's path.
async fn full_writer(dir: &Path) -> (WriterHandle, PathBuf) {
    let path = dir.join("bosun.db");
    let mut conn = migrate(&path).await.expect("migrate");
    for sql in [
        "CREATE TABLE filler (x BLOB)",
        "INSERT INTO filler VALUES (zeroblob(400000))",
    ] {
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
    }
    let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
        .fetch_one(&mut conn)
        .await
        .expect("page count");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA max_page_count = {pages}"
    )))
    .execute(&mut conn)
    .await
    .expect("cap the database");
    (WriterHandle::spawn(conn), path)
}

fn big_line() -> Vec<WriteOp> {
    vec![WriteOp::Log {
        level: "info",
        task_id: None,
        step_id: None,
        message: "x".repeat(MESSAGE_LEN),
    }]
}

/// A writer told to wait for space, a big write it is waiting to commit, and the database's
/// path; returns once the writer has marked the store full.
async fn waiting_write(dir: &Path) -> (WriterHandle, PathBuf, Waiting) {
    let (writer, path) = full_writer(dir).await;
    writer.wait_for_space();
    let mut mark = writer.watch_disk_full();
    let waiting = tokio::spawn({
        let writer = writer.clone();
        async move { writer.write(big_line()).await }
    });
    tokio::time::timeout(BOUND, mark.wait_for(Option::is_some))
        .await
        .expect("the store is marked full")
        .expect("the writer runs");
    (writer, path, waiting)
}

type Waiting = tokio::task::JoinHandle<Result<(), StoreError>>;

/// Frees the filler's pages from another connection.
async fn free_room(path: &Path) {
    let mut conn = connect_options(path)
        .expect("options")
        .connect()
        .await
        .expect("connect");
    sqlx::query("DELETE FROM filler")
        .execute(&mut conn)
        .await
        .expect("delete the filler");
    conn.close().await.expect("close");
}

/// How many of the big lines were saved.
async fn saved(path: &Path) -> i64 {
    let mut conn = connect_options(path)
        .expect("options")
        .read_only(true)
        .connect()
        .await
        .expect("connect");
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM logs WHERE length(message) = ?")
        .bind(i64::try_from(MESSAGE_LEN).expect("small"))
        .fetch_one(&mut conn)
        .await
        .expect("count");
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn a_writer_told_to_wait_marks_the_store_full_and_commits_once_there_is_room() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path, waiting) = waiting_write(dir.path()).await;
    let reason = writer.disk_full().expect("the mark says why");
    assert!(reason.contains("full"), "{reason}");
    assert!(
        !waiting.is_finished(),
        "a write the full disk refused was answered"
    );
    assert_eq!(saved(&path).await, 0);

    free_room(&path).await;
    tokio::time::timeout(BOUND, waiting)
        .await
        .expect("the write commits once there is room")
        .expect("the task")
        .expect("the write succeeds");
    assert_eq!(saved(&path).await, 1);
    assert_eq!(writer.disk_full(), None, "the mark clears with the commit");
    writer.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_writer_not_told_to_wait_fails_at_once_and_saves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = full_writer(dir.path()).await;
    let result = tokio::time::timeout(BOUND, writer.write(big_line()))
        .await
        .expect("answered");
    match result {
        Err(StoreError::DiskFull(reason)) => assert!(reason.contains("full"), "{reason}"),
        other => panic!("expected a full disk, got {other:?}"),
    }
    assert!(
        StoreError::DiskFull("x".into())
            .to_string()
            .contains("the disk is full, nothing was saved"),
    );
    assert_eq!(
        writer.disk_full(),
        None,
        "only a waiting writer marks the store"
    );
    assert_eq!(saved(&path).await, 0);
    // Other writes still work.
    writer
        .write(vec![WriteOp::Log {
            level: "info",
            task_id: None,
            step_id: None,
            message: "small".into(),
        }])
        .await
        .expect("a write that fits");
    writer.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_ends_the_wait_and_fails_what_waited_unacknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path, waiting) = waiting_write(dir.path()).await;
    tokio::time::timeout(BOUND, writer.close())
        .await
        .expect("closing is not held up by the full disk");
    let result = waiting.await.expect("the task");
    assert!(matches!(result, Err(StoreError::DiskFull(_))), "{result:?}");
    assert_eq!(saved(&path).await, 0);
}
