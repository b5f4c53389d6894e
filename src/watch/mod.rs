//! Watching the project tree (the product card's "notify watching the project tree"):
//!
//! - [`rules`]: what is never watched (`.git/`, `.bosun/`) and what ignore files exclude;
//! - [`tree`]: the watcher itself — one watch per directory that is not ignored, new
//!   directories as they appear, batches of changed files and of changed definitions;
//! - `settle`: raw events gathered until the tree is quiet for a moment;
//! - [`triggers`]: which workflows' `triggers: - watch: [globs]` a changed path matches.
//!
//! What a match does (debounce, `on_busy`, no feedback loops) is the engine's:
//! `engine::triggers`. `bosun watch --dry-run` prints the matches live.

pub mod rules;
mod settle;
pub mod tree;
pub mod triggers;
mod watches;

pub use tree::{Batch, Change, TreeWatcher, Watching, start};
pub use triggers::{TriggerSet, TriggerSpec};
