//! `bosun` with no verb: the terminal interface over an engine in the same process, or attached
//! to the engine another process already runs for the project (a background `bosun run`, a
//! first interface). Bad settings (theme, keys) are refused before the terminal is touched
//! (exit 2). Quitting stops an own engine cleanly, or hands the work to a background
//! `bosun run` when the user asks; quitting an attached interface leaves the engine running.

use tokio::signal::unix::{SignalKind, signal};

use super::run::acquire_engine_lock;
use super::{CliError, CliResult, Project};
use crate::config::user_config_file;
use crate::engine::lock::{Holder, live_holder};
use crate::engine::{Engine, EngineHandle};
use crate::store::Store;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;
use crate::tui::{AppConfig, NotifySettings, QuitMode};

pub async fn interface(project: Project) -> CliResult {
    // The built-in rules take the longest to read at start (~40 ms of patterns): on another
    // core while the settings, theme and log files are set up, for the first frame's sake.
    std::thread::spawn(crate::policy::Policy::builtin);
    let Project { paths, settings } = project;
    let user_themes = user_config_file().and_then(|f| f.parent().map(|d| d.join("themes")));
    let theme =
        Theme::load(&settings.theme, user_themes.as_deref()).map_err(CliError::bad_input)?;
    let keymap = Keymap::new(&settings.ui.keys)
        .map_err(|e| CliError::bad_input(format!("in the settings: {e}")))?;
    let tightened = super::run::prepare_private_state(&paths)?;
    let (_logs, mut lines) =
        crate::telemetry::init_for_interface(&paths.logs_dir(), &settings.log_level)
            .map_err(CliError::bad_input)?;
    super::run::report_tightened(&paths, tightened);
    crate::policy::Policy::load(&paths).map_err(CliError::bad_input)?;
    let config = AppConfig {
        theme,
        keymap,
        notify: NotifySettings::parse(&settings.ui.notify),
        log_lines: settings.ui.log_lines,
        limit: settings.engine.max_concurrent_workflows,
        offset: crate::time::local_offset(),
        attached: false,
        programs: crate::engine::submit::programs(&paths, &settings),
    };
    loop {
        let store = Store::open(&paths.database()).await?;
        // Another process's engine already runs this project: show it, do not compete with it.
        if let Some(holder) = live_holder(&paths.database()).await? {
            let mode =
                attached(&paths, &settings, store, config.clone(), &mut lines, holder).await?;
            if mode == QuitMode::TakeOver {
                // That engine died under the interface and the user asked to start one here.
                continue;
            }
            return Ok(());
        }
        return own_engine(paths, settings, store, config, &mut lines).await;
    }
}

/// The interface over an engine in this process.
async fn own_engine(
    paths: crate::config::ProjectPaths,
    settings: crate::config::Settings,
    store: Store,
    config: AppConfig,
    lines: &mut tokio::sync::mpsc::Receiver<crate::protocol::LogLine>,
) -> CliResult {
    let lease = acquire_engine_lock(&paths).await?;
    let root = paths.root.clone();
    let (api_paths, api_settings) = (paths.clone(), settings.clone());
    let mut engine = Engine::start(paths, settings, store.clone(), &lease).await?;
    tracing::info!(project = %root.display(), pid = std::process::id(), "engine running with the interface");
    let handle = engine.handle.clone();
    // `api.listen` in the settings serves the API beside the interface too; one that cannot
    // listen is said in the log pane rather than keeping the interface from opening.
    let api = crate::api::ApiServer::start(handle.clone(), store.clone(), api_paths, &api_settings)
        .await
        .unwrap_or_else(|e| {
            tracing::error!("{e}; the API is off");
            None
        });
    let mut terminate = signal(SignalKind::terminate()).map_err(CliError::failed)?;
    let mut hangup = signal(SignalKind::hangup()).map_err(CliError::failed)?;
    let outcome = tokio::select! {
        result = crate::tui::run(&handle, config, lines) => result.map_err(CliError::failed),
        failure = engine.failed() => {
            store.close().await;
            return Err(CliError::failed(failure));
        }
        _ = terminate.recv() => Ok(QuitMode::Stop),
        _ = hangup.recv() => Ok(QuitMode::Stop),
    };
    if let Some(api) = api {
        api.stop().await;
    }
    let stopped = engine.shutdown().await;
    store.close().await;
    lease.release().await;
    let mode = outcome?;
    stopped.map_err(CliError::failed)?;
    if mode == QuitMode::Detach {
        let pid = detach(&root)?;
        println!(
            "the work goes on in a background `bosun run` (pid {pid}); `bosun` here takes it back"
        );
    }
    Ok(())
}

/// The interface over the engine of another process; quitting leaves that engine running.
/// Returns [`QuitMode::TakeOver`] when that engine died and the user asked to start one here.
async fn attached(
    paths: &crate::config::ProjectPaths,
    settings: &crate::config::Settings,
    store: Store,
    config: AppConfig,
    lines: &mut tokio::sync::mpsc::Receiver<crate::protocol::LogLine>,
    holder: Holder,
) -> Result<QuitMode, CliError> {
    let root = paths.root.clone();
    let (handle, attachment) = EngineHandle::attach(paths.clone(), settings, store.clone()).await?;
    tracing::info!(project = %root.display(), "attached to the engine already running ({holder})");
    let config = AppConfig {
        attached: true,
        ..config
    };
    let mut terminate = signal(SignalKind::terminate()).map_err(CliError::failed)?;
    let mut hangup = signal(SignalKind::hangup()).map_err(CliError::failed)?;
    let outcome = tokio::select! {
        result = crate::tui::run(&handle, config, lines) => result.map_err(CliError::failed),
        _ = terminate.recv() => Ok(QuitMode::Stop),
        _ = hangup.recv() => Ok(QuitMode::Stop),
    };
    drop(attachment);
    store.close().await;
    let mode = outcome?;
    if mode != QuitMode::TakeOver {
        println!("the engine ({holder}) goes on running");
    }
    Ok(mode)
}

/// Starts `bosun run` for `root` in its own session, with no terminal, so closing this one does
/// not stop it.
fn detach(root: &std::path::Path) -> Result<u32, CliError> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().map_err(CliError::failed)?;
    let has_setsid = std::path::Path::new("/usr/bin/setsid").exists();
    let mut command = if has_setsid {
        let mut c = Command::new("/usr/bin/setsid");
        c.arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    command
        .arg("run")
        .arg("--project")
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let child = command
        .spawn()
        .map_err(|e| CliError::failed(format!("cannot start `bosun run`: {e}")))?;
    Ok(child.id())
}
