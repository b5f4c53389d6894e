//! The store's single writer: an actor that owns the one write connection and commits
//! everything sent to it in batches (group commit).
//!
//! Invariants: a request's ops commit together or not at all (one SAVEPOINT each); events are
//! appended in one multi-row INSERT per batch and broadcast only after COMMIT succeeded, in
//! sequence order; a request is acknowledged only after its batch is durable; every batch bumps
//! the store's revision (see [`super::summary::revision`]), which versions cached copies.

use sqlx::{Connection, SqliteConnection};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::{StoreError, WriteOp};
use crate::protocol::{EngineEvent, EventEnvelope};

/// Most requests folded into one transaction.
const MAX_BATCH: usize = 512;
/// Rows per multi-row INSERT (4 parameters each, far below SQLite's limit).
const ROWS_PER_INSERT: usize = 200;

struct Request {
    ops: Vec<WriteOp>,
    ack: oneshot::Sender<Result<(), StoreError>>,
}

enum Msg {
    Write(Request),
    Close(oneshot::Sender<()>),
}

/// Sends changes to the writer actor and subscribes to the events it commits.
#[derive(Clone, Debug)]
pub struct WriterHandle {
    tx: mpsc::Sender<Msg>,
    events: broadcast::Sender<EventEnvelope>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("writer message")
    }
}

impl WriterHandle {
    /// Starts the actor on its own task, owning `conn`.
    pub fn spawn(conn: SqliteConnection) -> WriterHandle {
        let (tx, rx) = mpsc::channel(4096);
        let (events, _) = broadcast::channel(4096);
        tokio::spawn(run(conn, rx, events.clone()));
        WriterHandle { tx, events }
    }

    /// Commits `ops` atomically; returns once they are durable.
    pub async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Msg::Write(Request { ops, ack }))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        done.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Queues `ops` behind everything sent before, without waiting for their commit: they go
    /// into the next batch, so a best-effort record (an agent's transcript line, the tool call
    /// it is making) shares the commit of the decision that follows it instead of costing a
    /// flush of its own. Order is kept; whether it was saved is not reported.
    pub async fn enqueue(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        // Nobody waits on the acknowledgement: the writer's send to it is a no-op.
        let (ack, _) = oneshot::channel();
        self.tx
            .send(Msg::Write(Request { ops, ack }))
            .await
            .map_err(|_| StoreError::WriterGone)
    }

    /// Events committed from now on, in sequence order.
    pub fn subscribe(&self) -> broadcast::Receiver<EventEnvelope> {
        self.events.subscribe()
    }

    /// Commits what is pending, then stops the actor and closes its connection.
    pub async fn close(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Close(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

/// Commits `ops` atomically on `conn`, exactly as the actor would commit a batch of one
/// request; for a one-shot command that owns its connection ([`super::OneShot`]).
pub(super) async fn write_once(
    conn: &mut SqliteConnection,
    ops: Vec<WriteOp>,
) -> Result<(), StoreError> {
    let (ack, done) = oneshot::channel();
    // Nobody subscribes: the events are in the log, and the engine reads them from there.
    let (events, _) = broadcast::channel(1);
    commit_batch(conn, vec![Request { ops, ack }], &events).await;
    done.await.map_err(|_| StoreError::WriterGone)?
}

async fn run(
    mut conn: SqliteConnection,
    mut rx: mpsc::Receiver<Msg>,
    events: broadcast::Sender<EventEnvelope>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = Vec::new();
        let mut close = None;
        match first {
            Msg::Write(r) => batch.push(r),
            Msg::Close(ack) => close = Some(ack),
        }
        while close.is_none() && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Write(r)) => batch.push(r),
                Ok(Msg::Close(ack)) => close = Some(ack),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            commit_batch(&mut conn, batch, &events).await;
        }
        if let Some(ack) = close {
            let _ = conn.close().await;
            let _ = ack.send(());
            return;
        }
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(&mut *conn).await.map(|_| ())
}

async fn commit_batch(
    conn: &mut SqliteConnection,
    batch: Vec<Request>,
    events: &broadcast::Sender<EventEnvelope>,
) {
    // Fast path: no savepoints (they cost two statements a request). A request that fails
    // (a conflict, a constraint) rolls the whole batch back, and it is redone with savepoints.
    let result = match try_batch(conn, &batch, false).await {
        Ok(done) => Ok(done),
        Err(_) => {
            let _ = exec(conn, "ROLLBACK").await;
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
            let _ = exec(conn, "ROLLBACK").await;
            tracing::error!(error = %e, "a batch of writes failed and was rolled back");
            let message = e.to_string();
            for request in batch {
                let _ = request.ack.send(Err(StoreError::Corrupt(format!(
                    "could not commit: {message}"
                ))));
            }
        }
    }
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
/// an I/O error), `ROLLBACK TO` fails, and going on would commit later requests one by one.
async fn apply_request(
    conn: &mut SqliteConnection,
    ops: &[WriteOp],
) -> Result<Result<(), StoreError>, StoreError> {
    exec(conn, "SAVEPOINT request").await?;
    for op in ops {
        if let Err(e) = op.apply(conn).await {
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
