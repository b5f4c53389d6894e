//! Settings and paths. Settings are layered: built-in defaults → user config file →
//! `.bosun/config.yaml` → `BOSUN_*` environment → command-line flags; each layer sets only what
//! it names. Unknown keys and wrong types are errors naming the file, line and key.
//! [`environment`] composes what a step's process gets from the settings, its workflow and its
//! skill; [`agents`] where the coding agents are and what they may spend; [`locate`] finds the
//! program a step would start, as its process would; [`worktree`] how a task gets a git worktree
//! of its own; [`private`] keeps Bosun's own files to their owner (0700/0600); [`retention`]
//! how long finished tasks' history and the decision ledger are kept.

pub mod agents;
pub mod api;
pub mod backup;
mod duration;
pub mod environment;
mod layers;
pub mod locate;
mod paths;
pub mod private;
pub mod retention;
mod settings;
pub mod worktree;

pub use duration::{DurationSpec, parse_duration};
pub use layers::{
    Overrides, load_settings, load_settings_from, load_settings_from_file, user_config_file,
};
pub use paths::ProjectPaths;
pub use settings::{CacheSettings, EngineSettings, EscalationSettings, Settings, UiSettings};
