//! `bosun run`: the engine without the interface, until SIGINT or SIGTERM.

use tokio::signal::unix::{SignalKind, signal};

use super::{CliError, CliResult, Project};
use crate::api::ApiServer;
use crate::engine::Engine;
use crate::engine::lock::{EngineLease, LockState, try_lock};
use crate::store::Store;

pub async fn run(project: Project) -> CliResult {
    let Project { paths, settings } = project;
    let _logs = start_logging(&paths, &settings)?;
    // A broken policy is the user's to fix before the engine starts, as a broken config is.
    crate::policy::Policy::load(&paths).map_err(CliError::bad_input)?;
    // Handled from before the lease is taken: a signal during start-up (recovery, the first walk
    // of the tree) stops the engine cleanly once it has started, instead of killing it midway.
    let mut interrupt = signal(SignalKind::interrupt()).map_err(CliError::failed)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(CliError::failed)?;
    let lease = acquire_engine_lock(&paths).await?;
    let store = Store::open(&paths.database()).await?;
    let root = paths.root.clone();
    let (api_paths, api_settings) = (paths.clone(), settings.clone());
    let mut engine = Engine::start(paths, settings, store.clone(), &lease).await?;
    tracing::info!(project = %root.display(), pid = std::process::id(), recovered = %engine.recovered, "engine running");
    let api = match ApiServer::start(
        engine.handle.clone(),
        store.clone(),
        api_paths,
        &api_settings,
    )
    .await
    {
        Ok(api) => api,
        Err(e) => {
            let _ = engine.shutdown().await;
            store.close().await;
            lease.release().await;
            return Err(CliError::failed(e));
        }
    };
    tokio::select! {
        // Losing the lease also ends the scheduler: name the cause, not the symptom.
        biased;
        _ = interrupt.recv() => tracing::info!("SIGINT: stopping"),
        _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
        reason = lease.lost() => {
            let _ = engine.shutdown().await;
            store.close().await;
            return Err(CliError::failed(format!(
                "this engine lost the lease on {} ({reason}); it stopped so that two engines never run the same task",
                root.display()
            )));
        }
        failure = engine.failed() => {
            store.close().await;
            lease.release().await;
            return Err(CliError::failed(failure));
        }
    }
    if let Some(api) = api {
        api.stop().await;
    }
    let stopped = engine.shutdown().await;
    store.close().await;
    lease.release().await;
    stopped.map_err(CliError::failed)?;
    tracing::info!("engine stopped; unfinished tasks resume at the next start");
    Ok(())
}

/// Makes the project's state directories (private: see `config::private`) and logs to its
/// log files and stderr, for a process that runs until stopped (`bosun run`, `bosun mcp`); the
/// guard flushes the logs when dropped.
pub(super) fn start_logging(
    paths: &crate::config::ProjectPaths,
    settings: &crate::config::Settings,
) -> Result<crate::telemetry::LogGuard, CliError> {
    let tightened = prepare_private_state(paths)?;
    let guard = crate::telemetry::init(&paths.logs_dir(), &settings.log_level, true)
        .map_err(CliError::bad_input)?;
    report_tightened(paths, tightened);
    Ok(guard)
}

/// Creates the state directories and tightens what they hold, for a process that runs on.
pub(super) fn prepare_private_state(
    paths: &crate::config::ProjectPaths,
) -> Result<crate::config::private::Tightened, CliError> {
    paths
        .ensure_private_state()
        .map_err(|e| CliError::failed(format!("cannot prepare {}: {e}", paths.bosun_dir.display())))
}

/// Says (once logging runs) that files others could read were made private.
pub(super) fn report_tightened(
    paths: &crate::config::ProjectPaths,
    tightened: crate::config::private::Tightened,
) {
    if !tightened.is_empty() {
        tracing::info!(
            directories = tightened.dirs,
            files = tightened.files,
            "made Bosun's files in {} private to their owner (others could read them)",
            paths.bosun_dir.display()
        );
    }
}

/// Refuses a database that fails SQLite's quick check, naming the newest backup and the command
/// that restores it: an engine never runs on a damaged database.
async fn check_database(paths: &crate::config::ProjectPaths) -> Result<(), CliError> {
    let (db, backups) = (paths.database(), paths.backups_dir());
    tokio::task::spawn_blocking(move || crate::backup::start::check_database(&db, &backups))
        .await
        .map_err(|e| CliError::failed(format!("the database check stopped: {e}")))?
        .map_err(CliError::failed)
}

/// Takes the project's engine lease (see `engine::lock`), migrating the database first. An
/// engine that has just let go may still be exiting (the interface handing its work to a
/// background `bosun run`), so a held lease is tried again for a second before the start is
/// refused.
pub(super) async fn acquire_engine_lock(
    paths: &crate::config::ProjectPaths,
) -> Result<EngineLease, CliError> {
    check_database(paths).await?;
    let mut holder = None;
    for _ in 0..20 {
        match try_lock(&paths.database()).await? {
            LockState::Acquired(lease) => return Ok(lease),
            LockState::HeldBy(who) => holder = Some(who),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let who = holder.map(|h| format!(" ({h})")).unwrap_or_default();
    Err(CliError::failed(format!(
        "an engine already runs for {}{who}",
        paths.root.display()
    )))
}
