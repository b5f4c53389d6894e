//! Committing one batch of write requests (group commit): one transaction for all of them, with
//! a savepoint each only when one of them fails, so that it fails alone.
//!
//! Invariants: a request's ops commit together or not at all; events are appended in one
//! multi-row INSERT per batch and broadcast only after COMMIT succeeded, in sequence order;
//! every batch bumps the store's revision (see [`super::summary::revision`]). A batch the full
//! disk refuses is rolled back whole and handed back unanswered ([`Settled::DiskFull`]): the
//! caller decides whether to wait for space or to fail it.

use sqlx::SqliteConnection;
use tokio::sync::{broadcast, oneshot};

use super::disk::{disk_full, is_io_failure};
use super::{StoreError, WriteOp};
use crate::protocol::{EngineEvent, EventEnvelope};

/// Rows per multi-row INSERT (4 parameters each, far below SQLite's limit).
const ROWS_PER_INSERT: usize = 200;

/// One caller's atomic change and where its outcome goes.
pub(super) struct Request {
    pub ops: Vec<WriteOp>,
    pub ack: oneshot::Sender<Result<(), StoreError>>,
}

/// What became of a batch.
pub(super) enum Settled {
    /// Committed, or failed for a reason of its own: every request has its answer.
    Answered,
    /// The disk is full (the reason): nothing was written and no request was answered.
    DiskFull(Vec<Request>, String),
}

/// Answers every request of a batch the full disk refused.
pub(super) fn fail_disk_full(batch: Vec<Request>, reason: &str) {
    for request in batch {
        let _ = request
            .ack
            .send(Err(StoreError::DiskFull(reason.to_string())));
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(&mut *conn).await.map(|_| ())
}

/// Commits `batch` in one transaction and answers each request, unless the disk is full.
pub(super) async fn commit_batch(
    conn: &mut SqliteConnection,
    batch: Vec<Request>,
    events: &broadcast::Sender<EventEnvelope>,
) -> Settled {
    // Fast path: no savepoints (they cost two statements a request). A request that fails
    // (a conflict, a constraint) rolls the whole batch back, and it is redone with savepoints;
    // a full disk would refuse that as well.
    let result = match try_batch(conn, &batch, false).await {
        Ok(done) => Ok(done),
        Err(e) => {
            let full = disk_full(conn, &e).await;
            let _ = exec(conn, "ROLLBACK").await;
            if let Some(reason) = full {
                return Settled::DiskFull(batch, reason);
            }
            try_batch(conn, &batch, true).await
        }
    };
    match result {
        Ok((outcomes, appended, seqs)) => {
            for (request, outcome) in batch.into_iter().zip(outcomes) {
                let _ = request.ack.send(outcome);
            }
            for (seq, (at, event)) in seqs.into_iter().zip(appended) {
                // Nobody listening is fine: the event is in the log.
                let _ = events.send(EventEnvelope { seq, at, event });
            }
        }
        Err(e) => {
            // Asked before the ROLLBACK: the errno that tells a full disk is the failure's.
            let full = disk_full(conn, &e).await;
            let _ = exec(conn, "ROLLBACK").await;
            if let Some(reason) = full {
                return Settled::DiskFull(batch, reason);
            }
            tracing::error!(error = %e, "a batch of writes failed and was rolled back");
            let message = e.to_string();
            for request in batch {
                let _ = request.ack.send(Err(StoreError::Corrupt(format!(
                    "could not commit: {message}"
                ))));
            }
        }
    }
    Settled::Answered
}

type BatchDone = (
    Vec<Result<(), StoreError>>,
    Vec<(String, EngineEvent)>,
    Vec<i64>,
);

/// Applies every request and commits. Without `isolate`, the first failing request fails the
/// batch; with it, each request runs in a savepoint and fails alone.
async fn try_batch(
    conn: &mut SqliteConnection,
    batch: &[Request],
    isolate: bool,
) -> Result<BatchDone, StoreError> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut appended: Vec<(String, EngineEvent)> = Vec::new();
    let mut logs = Vec::new();
    // IMMEDIATE takes the write lock now, so a concurrent writer in another process makes us
    // wait in the busy handler instead of failing at the first write.
    exec(conn, "BEGIN IMMEDIATE").await?;
    let at = crate::time::now_rfc3339();
    for request in batch {
        let outcome = if isolate {
            apply_request(conn, &request.ops).await?
        } else {
            for op in &request.ops {
                op.apply(conn).await?;
            }
            Ok(())
        };
        if outcome.is_ok() {
            for op in &request.ops {
                match op {
                    WriteOp::Event(e) => appended.push((at.clone(), e.clone())),
                    WriteOp::Log { .. } => logs.push((at.clone(), op.clone())),
                    _ => {}
                }
            }
        }
        outcomes.push(outcome);
    }
    let seqs = append_events(conn, &appended).await?;
    append_logs(conn, &logs).await?;
    exec(conn, "UPDATE revision SET value = value + 1 WHERE id = 1").await?;
    exec(conn, "COMMIT").await?;
    Ok((outcomes, appended, seqs))
}

/// Applies one request inside its own savepoint, so a failing request leaves the batch intact.
/// The outer error is fatal to the batch: if SQLite itself undid the transaction (a full disk,
/// an I/O error), `ROLLBACK TO` fails, and going on would commit later requests one by one; a
/// full disk or an I/O error inside a request is fatal to the batch for the same reason.
async fn apply_request(
    conn: &mut SqliteConnection,
    ops: &[WriteOp],
) -> Result<Result<(), StoreError>, StoreError> {
    exec(conn, "SAVEPOINT request").await?;
    for op in ops {
        if let Err(e) = op.apply(conn).await {
            if is_io_failure(&e) {
                return Err(e);
            }
            exec(conn, "ROLLBACK TO request").await?;
            exec(conn, "RELEASE request").await?;
            return Ok(Err(e));
        }
    }
    exec(conn, "RELEASE request").await?;
    Ok(Ok(()))
}

/// Appends events with multi-row INSERTs and returns their sequence numbers in order.
async fn append_events(
    conn: &mut SqliteConnection,
    events: &[(String, EngineEvent)],
) -> Result<Vec<i64>, StoreError> {
    let mut seqs = Vec::with_capacity(events.len());
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let sql = multi_row_insert(
            "INSERT INTO events (at, task_id, kind, payload) VALUES ",
            4,
            chunk.len(),
            " RETURNING seq",
        );
        let mut query = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql));
        for (at, event) in chunk {
            let payload = serde_json::to_string(event)
                .map_err(|e| StoreError::Corrupt(format!("event not serializable: {e}")))?;
            query = query
                .bind(at.clone())
                .bind(event.task_id().as_str().to_string())
                .bind(event.kind())
                .bind(payload);
        }
        let mut rows: Vec<i64> = query
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect();
        // SQLite assigns AUTOINCREMENT keys in VALUES order within one statement; RETURNING
        // rows may come back in any order, so sort them to pair them with the events.
        rows.sort_unstable();
        seqs.extend(rows);
    }
    Ok(seqs)
}

async fn append_logs(
    conn: &mut SqliteConnection,
    logs: &[(String, WriteOp)],
) -> Result<(), StoreError> {
    for chunk in logs.chunks(ROWS_PER_INSERT) {
        let sql = multi_row_insert(
            "INSERT INTO logs (at, level, task_id, step_id, message) VALUES ",
            5,
            chunk.len(),
            "",
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (at, op) in chunk {
            if let WriteOp::Log {
                level,
                task_id,
                step_id,
                message,
            } = op
            {
                query = query
                    .bind(at.clone())
                    .bind(*level)
                    .bind(task_id.as_ref().map(|t| t.as_str().to_string()))
                    .bind(step_id.clone())
                    .bind(message.clone());
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `prefix (?, ?), (?, ?) suffix` for `rows` rows of `columns` parameters.
fn multi_row_insert(prefix: &str, columns: usize, rows: usize, suffix: &str) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    format!("{prefix}{}{suffix}", vec![row; rows].join(", "))
}

#[cfg(test)]
mod tests {
    use super::multi_row_insert;

    #[test]
    fn builds_placeholders_for_every_row() {
        assert_eq!(
            multi_row_insert("INSERT INTO t VALUES ", 2, 2, ""),
            "INSERT INTO t VALUES (?, ?), (?, ?)"
        );
    }
}
