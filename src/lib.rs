//! Bosun: a durable queue of development tasks, each running a YAML workflow of skills.
//!
//! Module map (dependencies point one way: `engine` → `protocol` ← front ends):
//!
//! - [`protocol`]: the shared vocabulary — ids, [`protocol::Command`], [`protocol::EngineEvent`],
//!   read-only views. No logic, no I/O.
//! - [`config`]: settings layered from defaults, user config, `.bosun/config.yaml`, `BOSUN_*`
//!   environment and flags; project paths.
//! - [`diagnostic`]: `FILE:LINE:COL: message` errors for everything a user writes.
//! - [`store`]: SQLite (the truth): migrations, the group-commit writer actor, the read pool.
//! - [`backup`]: the store's backups (zstd, age), restoring one, and the check at start.
//! - [`definitions`]: what users write — workflows, skills, catalogs, templates, inputs — parsed
//!   and validated; it runs nothing.
//! - [`agents`]: coding agents' headless protocols, read and written without I/O (pure).
//! - [`policy`]: who decides — the command reader, the safety floor, rules and precedence. Pure
//!   decisions: it names no store and no engine, so the CLI, the engine and agents ask it alike.
//! - [`engine`]: the scheduler actor, workflow runners, processes, crash recovery.
//! - [`mirror`]: Redis, optional: live events across processes and a revision-checked cache.
//! - [`watch`]: the project-tree watcher (notify) and the workflows' watch triggers.
//! - [`worktree`]: a git worktree per task — create, what it changed, merge and discard —
//!   synchronous calls of the `git` binary; it names no store and no engine.
//! - [`tui`]: the terminal interface over an engine in the same process; it names no store.
//! - [`cli`]: the verbs of the `bosun` binary, and the interface when no verb is given.
//! - [`telemetry`]: tracing to rolling files and stderr.
//! - [`text`] and [`time`]: small helpers for words and times shown to people.

pub mod agents;
pub mod api;
pub mod backup;
pub mod cli;
pub mod config;
pub mod definitions;
pub mod diagnostic;
pub mod engine;
pub mod mirror;
pub mod policy;
pub mod protocol;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod time;
pub mod tui;
pub mod watch;
pub mod worktree;
