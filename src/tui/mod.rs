//! The terminal interface (DESIGN.md §1, STYLE.md practices 1–8): four panes (Tasks, Workflow,
//! Inbox, Logs) and a status bar over an engine running in the same process. It never names
//! sqlx, redis or notify; it reads through the [`crate::engine::EngineHandle`].
//!
//! - [`app`]: the state and the pure `update(Msg) -> Vec<Effect>`, and `render(&self)`.
//! - [`model`]: the projection of engine state the panes read.
//! - [`panes`], [`overlays`]: the panes' UI state and drawing; modal layers.
//! - [`msg`]: messages in, effects out. [`keymap`]: actions and their keys.
//! - [`theme`]: semantic roles from `themes/*.yaml`; [`ansi`]: step output's colours as styles.
//! - [`agent`]: how an agent step, its transcript and its tool calls read.
//! - [`worktree`]: how a task's worktree, its branch and its diff read.
//! - [`event_loop`]: the `select!` loop that performs effects; [`terminal`]: raw mode,
//!   restore on panic, Ctrl-Z.

pub mod agent;
pub mod ansi;
pub mod app;
pub mod event_loop;
#[doc(hidden)]
pub mod fixtures;
pub mod fmt;
pub mod keymap;
pub mod model;
pub mod msg;
pub mod overlays;
pub mod panes;
pub mod terminal;
pub mod theme;
pub mod worktree;

pub use app::{App, AppConfig, NotifySettings};
pub use msg::{Effect, Msg, QuitMode};

use tokio::sync::mpsc;

use crate::engine::EngineHandle;
use crate::protocol::LogLine;

/// Takes the terminal, runs the interface until the user quits, and gives the terminal back.
pub async fn run(
    handle: &EngineHandle,
    config: AppConfig,
    logs: &mut mpsc::Receiver<LogLine>,
) -> Result<QuitMode, String> {
    let mut guard = terminal::TerminalGuard::enter()
        .map_err(|e| format!("cannot take over the terminal: {e}"))?;
    let mut app = App::new(config, time::OffsetDateTime::now_utc());
    let result = event_loop::run(&mut guard, &mut app, handle, logs).await;
    drop(guard);
    result.map_err(|e| format!("the terminal failed: {e}"))
}
