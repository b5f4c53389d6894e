//! `bosun run`: the engine without the interface, until SIGINT or SIGTERM.

use tokio::signal::unix::{SignalKind, signal};

use super::{CliError, CliResult, Project};
use crate::engine::Engine;
use crate::engine::lock::{LockState, try_lock};
use crate::store::Store;

pub async fn run(project: Project) -> CliResult {
    let Project { paths, settings } = project;
    paths.ensure_state_dirs().map_err(|e| {
        CliError::failed(format!(
            "cannot create {}: {e}",
            paths.state_dir().display()
        ))
    })?;
    let _logs = crate::telemetry::init(&paths.logs_dir(), &settings.log_level, true)
        .map_err(CliError::bad_input)?;
    // A broken policy is the user's to fix before the engine starts, as a broken config is.
    crate::engine::policy::Policy::load(&paths).map_err(CliError::bad_input)?;
    let _lock = acquire_engine_lock(&paths).await?;
    let store = Store::open(&paths.database()).await?;
    let root = paths.root.clone();
    let mut engine = Engine::start(paths, settings, store.clone()).await?;
    tracing::info!(project = %root.display(), pid = std::process::id(), recovered = ?engine.recovered, "engine running");
    let mut interrupt = signal(SignalKind::interrupt()).map_err(CliError::failed)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(CliError::failed)?;
    tokio::select! {
        _ = interrupt.recv() => tracing::info!("SIGINT: stopping"),
        _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
        failure = engine.failed() => {
            store.close().await;
            return Err(CliError::failed(failure));
        }
    }
    let stopped = engine.shutdown().await;
    store.close().await;
    stopped.map_err(CliError::failed)?;
    tracing::info!("engine stopped; unfinished tasks resume at the next start");
    Ok(())
}

/// Takes the engine lock. A CLI verb may hold it for a moment (to tell whether an engine
/// runs), so a held lock is tried again for a second before another engine is assumed.
pub(super) async fn acquire_engine_lock(
    paths: &crate::config::ProjectPaths,
) -> Result<crate::engine::lock::EngineLock, CliError> {
    let mut holder = None;
    for _ in 0..20 {
        match try_lock(&paths.engine_lock()).map_err(CliError::failed)? {
            LockState::Acquired(lock) => return Ok(lock),
            LockState::HeldBy(pid) => holder = pid,
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let who = holder.map(|p| format!(" (pid {p})")).unwrap_or_default();
    Err(CliError::failed(format!(
        "an engine already runs for {}{who}",
        paths.root.display()
    )))
}
