//! One engine per project, with the project database as the arbiter: the engine that runs holds
//! the single row of `engine_lease`, and a second engine is refused.
//!
//! Invariants:
//! - The lease is taken in one `BEGIN IMMEDIATE` transaction, so of engines starting at once
//!   exactly one gets it. It is taken when there is no row, when the row's engine is provably
//!   dead (see `holder`: same host and boot, and its PID gone or reused — so `kill -9` never
//!   delays the next start), or when its engine cannot be judged from here and its lease expired.
//! - The holder renews `expires_at` every third of [`TTL`] with `UPDATE … WHERE owner = ?`. A
//!   renewal that changes no row means another engine took the lease: the holder has lost it,
//!   and says so through [`LeaseFence::lost`] so the engine stops. A renewal the full disk
//!   refuses loses nothing: no other engine can write its row either, so the holder keeps the
//!   lease and renews it once space is freed.
//! - Claiming a task commits only while the claimer's row is there (`WriteOp::ClaimTask` carries
//!   the owner), so an engine that lost its lease never claims, even before it notices.
//! - Releasing deletes the row, only if it is still ours.

mod holder;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::time::Duration;

use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::store::{StoreError, connect_options, migrate};
pub use holder::Holder;
use holder::{Here, LeaseRow, Liveness, now_ms, read_row};

/// How long a lease lasts without renewal. Only an engine that cannot be judged alive or dead
/// from here (another host, another PID namespace) waits this long to be replaced.
pub const TTL: Duration = Duration::from_secs(15);

/// The result of trying to take the lease.
#[derive(Debug)]
pub enum LockState {
    Acquired(EngineLease),
    /// Another engine holds it.
    HeldBy(Holder),
}

/// The lease this process holds. Renewed in the background until [`EngineLease::release`]; on
/// drop the renewal stops and the row is deleted on a best-effort basis (a process that dies
/// without either is found dead by the next start, or its lease expires).
#[derive(Debug)]
pub struct EngineLease {
    fence: LeaseFence,
    /// The newest event when the lease was taken: this engine publishes every event after it.
    first_seq: i64,
    stop: CancellationToken,
    heartbeat: Option<JoinHandle<()>>,
}

/// What the engine needs of its lease: the owner id that fences its claims, and word of the
/// lease being lost.
#[derive(Debug, Clone)]
pub struct LeaseFence {
    pub owner: String,
    lost: watch::Receiver<Option<String>>,
}

impl LeaseFence {
    /// Resolves, with the reason, once the lease is lost; never while it is held.
    pub async fn lost(&self) -> String {
        let mut lost = self.lost.clone();
        let reason = lost
            .wait_for(Option::is_some)
            .await
            .map(|reason| reason.clone().unwrap_or_default());
        match reason {
            Ok(reason) => reason,
            // Released: the lease ended on purpose, it was not lost.
            Err(_) => std::future::pending().await,
        }
    }

    pub fn is_lost(&self) -> bool {
        self.lost.borrow().is_some()
    }
}

impl EngineLease {
    pub fn owner(&self) -> &str {
        &self.fence.owner
    }

    pub fn fence(&self) -> LeaseFence {
        self.fence.clone()
    }

    /// The newest event when the lease was taken (read in the same transaction): the events
    /// after it were all committed while this engine held the lease.
    pub fn first_seq(&self) -> i64 {
        self.first_seq
    }

    /// See [`LeaseFence::lost`].
    pub async fn lost(&self) -> String {
        self.fence.lost().await
    }

    /// Stops renewing and deletes the row if it is still ours.
    pub async fn release(mut self) {
        self.stop.cancel();
        if let Some(heartbeat) = self.heartbeat.take()
            && let Err(e) = heartbeat.await
        {
            tracing::warn!(error = %e, "the engine lease's renewal task failed");
        }
    }
}

impl Drop for EngineLease {
    fn drop(&mut self) {
        // The renewal task deletes the row on its way out.
        self.stop.cancel();
    }
}

/// Tries to take the project's lease in the database at `db`, creating and migrating the
/// database if needed. Must run inside a tokio runtime (the lease renews itself there).
pub async fn try_lock(db: &Path) -> Result<LockState, StoreError> {
    try_lock_for(db, TTL).await
}

pub(crate) async fn try_lock_for(db: &Path, ttl: Duration) -> Result<LockState, StoreError> {
    let mut conn = migrate(db).await?;
    let here = Here::current();
    let owner = format!("e-{}", ulid::Ulid::new().to_string().to_lowercase());
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await?;
    let decided = take(&mut conn, &here, &owner, ttl_ms).await;
    let end = if matches!(decided, Ok(Ok(_))) {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    let ended = sqlx::query(end).execute(&mut conn).await;
    let (expires_at, first_seq) = match decided? {
        Ok(taken) => taken,
        Err(holder) => {
            let _ = conn.close().await;
            return Ok(LockState::HeldBy(holder));
        }
    };
    ended?;
    let (lost_tx, lost) = watch::channel(None);
    let stop = CancellationToken::new();
    let heartbeat = tokio::spawn(heartbeat(
        conn,
        owner.clone(),
        ttl,
        expires_at,
        stop.clone(),
        lost_tx,
    ));
    Ok(LockState::Acquired(EngineLease {
        fence: LeaseFence { owner, lost },
        first_seq,
        stop,
        heartbeat: Some(heartbeat),
    }))
}

/// Inside the transaction: writes our row unless another engine holds the lease.
/// `Ok((expiry, newest event))` when taken, `Err(holder)` when refused.
async fn take(
    conn: &mut SqliteConnection,
    here: &Here,
    owner: &str,
    ttl_ms: i64,
) -> Result<Result<(i64, i64), Holder>, StoreError> {
    let now = now_ms();
    if let Some(row) = read_row(conn).await? {
        if row.holds(here, now) {
            return Ok(Err(row.holder(here)));
        }
        let why = match row.liveness(here) {
            Liveness::Dead => "its process is gone",
            Liveness::Alive | Liveness::Unknown => "its lease expired",
        };
        tracing::info!(previous = %row.holder(here), why, "taking over the engine lease");
    }
    let ours = LeaseRow::ours(here, owner, now.saturating_add(ttl_ms));
    sqlx::query(
        "INSERT OR REPLACE INTO engine_lease \
         (id, owner, pid, pid_start, host, boot_id, pid_ns, acquired_at, expires_at) \
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&ours.owner)
    .bind(ours.pid)
    .bind(ours.pid_start)
    .bind(&ours.host)
    .bind(&ours.boot_id)
    .bind(&ours.pid_ns)
    .bind(crate::time::now_rfc3339())
    .bind(ours.expires_at)
    .execute(&mut *conn)
    .await?;
    // Once old events are pruned (`retention:`), the log may be empty: the counter still says.
    let newest: (Option<i64>,) = sqlx::query_as(crate::store::summary::LAST_SEQ)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Ok((ours.expires_at, newest.0.unwrap_or(0))))
}

/// Renews the lease every third of `ttl` until `stop` fires (then deletes our row) or the
/// lease is lost (then says why through `lost`).
async fn heartbeat(
    mut conn: SqliteConnection,
    owner: String,
    ttl: Duration,
    mut expires_at: i64,
    stop: CancellationToken,
    lost: watch::Sender<Option<String>>,
) {
    let period = ttl / 3;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    // Said once while the disk stays full, not at every renewal.
    let mut disk_full = false;
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        match renew(&mut conn, &owner, ttl).await {
            Ok(Ok(until)) => {
                expires_at = until;
                disk_full = false;
            }
            Ok(Err(reason)) => {
                tracing::error!(%reason, "this engine lost the project's lease");
                lost.send_replace(Some(reason));
                let _ = conn.close().await;
                return;
            }
            Err(e) => match crate::store::disk_full(&mut conn, &e).await {
                // Nobody can take the lease while nothing can be written, and claims stay
                // fenced by the row: keep it, and renew once space is free.
                Some(reason) => {
                    if !disk_full {
                        tracing::warn!(
                            %reason,
                            "cannot renew the engine lease: the disk is full; keeping it until space is freed"
                        );
                    }
                    disk_full = true;
                }
                None if now_ms() >= expires_at => {
                    let reason = format!("the lease expired while it could not be renewed: {e}");
                    tracing::error!(%reason, "this engine lost the project's lease");
                    lost.send_replace(Some(reason));
                    let _ = conn.close().await;
                    return;
                }
                None => tracing::warn!(error = %e, "cannot renew the engine lease; retrying"),
            },
        }
    }
    if let Err(e) = sqlx::query("DELETE FROM engine_lease WHERE owner = ?")
        .bind(&owner)
        .execute(&mut conn)
        .await
    {
        tracing::warn!(error = %e, "cannot release the engine lease; it expires by itself");
    }
    let _ = conn.close().await;
}

/// One renewal: `Ok(Ok(new expiry))`, or `Ok(Err(reason))` when the row is no longer ours.
pub(crate) async fn renew(
    conn: &mut SqliteConnection,
    owner: &str,
    ttl: Duration,
) -> Result<Result<i64, String>, StoreError> {
    let until = now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
    let renewed = sqlx::query("UPDATE engine_lease SET expires_at = ? WHERE owner = ?")
        .bind(until)
        .bind(owner)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if renewed > 0 {
        return Ok(Ok(until));
    }
    let here = Here::current();
    Ok(Err(match read_row(conn).await? {
        Some(row) => format!("taken over by the engine with {}", row.holder(&here)),
        None => "its row was deleted from the database".to_string(),
    }))
}

/// The engine that holds the lease of the database at `db`, if one does and is not provably
/// dead or expired — what a CLI verb asks to know whether an engine runs. Never creates or
/// changes the database.
pub async fn live_holder(db: &Path) -> Result<Option<Holder>, StoreError> {
    if !db.exists() {
        return Ok(None);
    }
    let mut conn = connect_options(db)?.read_only(true).connect().await?;
    let has_table: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'engine_lease'",
    )
    .fetch_optional(&mut conn)
    .await?;
    let row = match has_table {
        Some(_) => read_row(&mut conn).await?,
        None => None,
    };
    let _ = conn.close().await;
    let here = Here::current();
    Ok(row
        .filter(|row| row.holds(&here, now_ms()))
        .map(|row| row.holder(&here)))
}
