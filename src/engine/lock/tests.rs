//! The lease on real SQLite files: refusal, takeover of a dead or expired holder, loss on
//! renewal, and the fence on claims.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::Connection;

use super::holder::{Here, LeaseRow, now_ms};
use super::*;
use crate::protocol::{Priority, TaskId};
use crate::store::{NewTask, Store, WriteOp};

fn db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bosun.db");
    (dir, path)
}

async fn acquired(db: &Path) -> EngineLease {
    match try_lock(db).await.expect("try_lock") {
        LockState::Acquired(lease) => lease,
        LockState::HeldBy(holder) => panic!("refused: held by {holder}"),
    }
}

async fn refused(db: &Path) -> Holder {
    match try_lock(db).await.expect("try_lock") {
        LockState::HeldBy(holder) => holder,
        LockState::Acquired(lease) => panic!("two engines hold the lease: {}", lease.owner()),
    }
}

/// Writes the lease row directly, as another engine would have.
async fn put_row(db: &Path, row: &LeaseRow) {
    let mut conn = crate::store::migrate(db).await.expect("migrate");
    sqlx::query(
        "INSERT OR REPLACE INTO engine_lease \
         (id, owner, pid, pid_start, host, boot_id, pid_ns, acquired_at, expires_at) \
         VALUES (1, ?, ?, ?, ?, ?, ?, 'then', ?)",
    )
    .bind(&row.owner)
    .bind(row.pid)
    .bind(row.pid_start)
    .bind(&row.host)
    .bind(&row.boot_id)
    .bind(&row.pid_ns)
    .bind(row.expires_at)
    .execute(&mut conn)
    .await
    .expect("write the row");
    conn.close().await.expect("close");
}

async fn owner_in_db(db: &Path) -> Option<String> {
    let mut conn = crate::store::migrate(db).await.expect("migrate");
    let row = holder::read_row(&mut conn).await.expect("read");
    conn.close().await.expect("close");
    row.map(|r| r.owner)
}

/// A row for this process, as if another engine of this host wrote it an hour from expiry.
fn row_like_ours(owner: &str) -> LeaseRow {
    LeaseRow::ours(&Here::current(), owner, now_ms() + 3_600_000)
}

#[tokio::test]
async fn a_second_engine_is_refused_while_the_first_holds_the_lease() {
    let (_dir, db) = db();
    assert_eq!(live_holder(&db).await.expect("query"), None);
    let first = acquired(&db).await;
    let holder = refused(&db).await;
    assert_eq!(holder.pid, i64::from(std::process::id()));
    assert!(!holder.elsewhere);
    assert_eq!(holder.to_string(), format!("pid {}", std::process::id()));
    assert_eq!(live_holder(&db).await.expect("query"), Some(holder));
    first.release().await;
    assert_eq!(owner_in_db(&db).await, None, "release deletes the row");
    assert_eq!(live_holder(&db).await.expect("query"), None);
    acquired(&db).await.release().await;
}

#[tokio::test]
async fn a_lease_whose_process_is_gone_is_taken_over_at_once() {
    let (_dir, db) = db();
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("spawn `true`");
    child.wait().expect("reap it");
    let mut dead = row_like_ours("e-dead");
    dead.pid = i64::from(child.id());
    dead.pid_start = Some(1);
    put_row(&db, &dead).await;
    assert_eq!(live_holder(&db).await.expect("query"), None);
    let lease = acquired(&db).await;
    assert_eq!(owner_in_db(&db).await.as_deref(), Some(lease.owner()));
    lease.release().await;
}

#[tokio::test]
async fn a_reused_pid_does_not_keep_a_dead_engine_s_lease() {
    let (_dir, db) = db();
    // Our own PID, but a start time that is not ours: the engine that wrote it is gone.
    let mut reused = row_like_ours("e-reused");
    reused.pid_start = reused.pid_start.map(|t| t + 1);
    put_row(&db, &reused).await;
    acquired(&db).await.release().await;
    // The same row with our real start time is a live engine: refused.
    put_row(&db, &row_like_ours("e-live")).await;
    refused(&db).await;
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_an_unexpired_one_is_not() {
    let (_dir, db) = db();
    let mut elsewhere = row_like_ours("e-elsewhere");
    elsewhere.host = "elsewhere".into();
    put_row(&db, &elsewhere).await;
    let holder = refused(&db).await;
    assert!(holder.elsewhere);
    assert_eq!(
        holder.to_string(),
        format!("pid {} on elsewhere", holder.pid)
    );

    elsewhere.expires_at = now_ms() - 1;
    put_row(&db, &elsewhere).await;
    assert_eq!(live_holder(&db).await.expect("query"), None);
    acquired(&db).await.release().await;
}

#[tokio::test]
async fn a_live_engine_on_this_host_keeps_its_lease_past_expiry() {
    let (_dir, db) = db();
    let mut stalled = row_like_ours("e-stalled");
    stalled.expires_at = now_ms() - 1;
    put_row(&db, &stalled).await;
    refused(&db).await;
}

#[tokio::test]
async fn a_holder_whose_lease_was_taken_loses_it_at_its_next_renewal() {
    let (_dir, db) = db();
    let lease = match try_lock_for(&db, Duration::from_millis(300))
        .await
        .expect("try_lock")
    {
        LockState::Acquired(lease) => lease,
        LockState::HeldBy(holder) => panic!("refused: held by {holder}"),
    };
    let fence = lease.fence();
    let mut conn = crate::store::migrate(&db).await.expect("migrate");
    let renewed = renew(&mut conn, lease.owner(), TTL).await.expect("renew");
    assert!(renewed.is_ok(), "{renewed:?}");
    assert!(!fence.is_lost());
    // Another engine takes the row over (as after an expiry).
    put_row(&db, &row_like_ours("e-usurper")).await;
    let renewed = renew(&mut conn, lease.owner(), TTL).await.expect("renew");
    assert!(renewed.is_err(), "{renewed:?}");
    let reason = tokio::time::timeout(Duration::from_secs(30), fence.lost())
        .await
        .expect("the heartbeat notices the loss");
    assert!(reason.contains("taken over"), "{reason}");
    assert!(lease.fence().is_lost());
    lease.release().await;
    assert_eq!(
        owner_in_db(&db).await.as_deref(),
        Some("e-usurper"),
        "a lost lease's release leaves the new holder's row alone"
    );
    conn.close().await.expect("close");
}

#[tokio::test]
async fn only_the_lease_holder_can_claim_a_task() {
    let (_dir, db) = db();
    let store = Store::open(&db).await.expect("store");
    let lease = acquired(&db).await;
    let task = |id: &str| NewTask {
        id: TaskId::from(id),
        description: format!("task {id}"),
        workflow: "shell".into(),
        workflow_reason: "test".into(),
        plan: "{}".into(),
        priority: Priority::Normal,
        inputs: "{}".into(),
        created_at: crate::time::now_rfc3339(),
    };
    let claim = |id: &str, owner: &str| WriteOp::ClaimTask {
        id: id.into(),
        run_id: format!("r-{id}"),
        at: "now".into(),
        owner: owner.into(),
    };
    store
        .writer
        .write(vec![
            WriteOp::InsertTask(task("t-1")),
            WriteOp::InsertTask(task("t-2")),
        ])
        .await
        .expect("insert");
    assert!(matches!(
        store.writer.write(vec![claim("t-1", "e-stranger")]).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .writer
        .write(vec![claim("t-1", lease.owner())])
        .await
        .expect("the holder claims");
    let owner = lease.owner().to_string();
    lease.release().await;
    assert!(matches!(
        store.writer.write(vec![claim("t-2", &owner)]).await,
        Err(StoreError::Conflict(_))
    ));
    store.close().await;
}
