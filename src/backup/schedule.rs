//! The engine's backups: every `backup.interval` (the first within 30 s of the start), when the
//! store changed since the newest backup, one is taken on a blocking thread; then retention removes what expired. A failure
//! is logged and tried again at the next interval; it never removes a good backup.

use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::take::{Outcome, prune, take};

/// The most a starting engine waits before its first backup.
const FIRST_AFTER: Duration = Duration::from_secs(30);
use crate::config::backup::BackupSettings;

/// Runs until `stop`; `settings` gives the current `backup:` settings at each turn (a config
/// reload changes them while the engine runs).
pub async fn run(
    db: PathBuf,
    dir: PathBuf,
    settings: impl Fn() -> BackupSettings,
    stop: CancellationToken,
) {
    // The first soon after the start: what the last session changed in its final minutes may
    // not be in a backup yet.
    let mut first = true;
    loop {
        let current = settings();
        // Off (`interval: 0`): look again in a minute, in case a reload turns it on.
        let wait = match (current.interval.is_zero(), first) {
            (true, _) => Duration::from_secs(60),
            (false, true) => current.interval.min(FIRST_AFTER),
            (false, false) => current.interval,
        };
        first = false;
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        let current = settings();
        if current.interval.is_zero() {
            continue;
        }
        once(db.clone(), dir.clone(), current).await;
    }
}

/// One scheduled backup and the pruning after it.
pub async fn once(db: PathBuf, dir: PathBuf, settings: BackupSettings) {
    let done = tokio::task::spawn_blocking(move || {
        let outcome = take(&db, &dir, &settings, false)?;
        let pruned = match &outcome {
            Outcome::Taken(_) => prune(&dir, &settings)?,
            Outcome::Unchanged { .. } => Vec::new(),
        };
        Ok::<_, super::BackupError>((outcome, pruned))
    })
    .await;
    match done {
        Ok(Ok((Outcome::Taken(t), pruned))) => tracing::info!(
            backup = %t.backup.name,
            bytes = t.backup.size_bytes,
            pages = t.pages_stored,
            ms = t.millis,
            expired = pruned.len(),
            "backed up the database"
        ),
        Ok(Ok((Outcome::Unchanged { .. }, _))) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "the scheduled backup failed; the backups already taken are kept")
        }
        Err(e) => tracing::error!(error = %e, "the scheduled backup stopped"),
    }
}
