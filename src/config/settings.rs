//! The resolved settings with their defaults (DESIGN.md §2), and the partial form each layer
//! fills in.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::DurationSpec;
use super::agents::{
    AgentSettings, Budget, PartialAgent, PartialBudget, apply_agents, apply_budget, default_agents,
};
use super::environment::{DEFAULT_PATH, EnvName, EnvValue, PathEntry};

/// Everything configurable, fully resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub engine: EngineSettings,
    pub escalation: EscalationSettings,
    pub cache: CacheSettings,
    /// How the database is backed up (`backup:`).
    pub backup: super::backup::BackupSettings,
    /// `tracing` filter for log files and `bosun run`'s stderr, e.g. `info` or `bosun=debug`.
    pub log_level: String,
    /// A bundled theme's name, a theme in the user config dir's `themes/`, or a file path.
    pub theme: String,
    pub ui: UiSettings,
    /// Variables every step gets (`env:`); a workflow's and a skill's own win over these.
    pub env: std::collections::BTreeMap<String, String>,
    /// Directories put in front of every step's `PATH` (`path:`), relative to the project
    /// root; each only while it exists. Defaults to `.venv/bin` and `node_modules/.bin`.
    pub path: Vec<PathEntry>,
    /// Each agent adapter's binary, arguments, model and environment (`agents:`).
    pub agents: std::collections::BTreeMap<String, AgentSettings>,
    /// What agents may spend before Bosun asks (`budget:`).
    pub budget: Budget,
    /// How worktree tasks get their worktree (`worktree:`).
    pub worktree: super::worktree::WorktreeSettings,
    /// Where and how the API is served (`api:`).
    pub api: super::api::ApiSettings,
    /// How long finished tasks' history and the decision ledger are kept (`retention:`).
    pub retention: super::retention::RetentionSettings,
    /// The command-line layer these settings were made with: a reload of the files while the
    /// engine runs layers them again under the same flags.
    #[serde(skip)]
    pub overrides: super::Overrides,
}

/// The terminal interface's settings (`ui:` in a config file).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UiSettings {
    /// Action name → keys (`"ctrl-s"`, `"shift-tab"`, `"q"`); replaces that action's defaults.
    pub keys: std::collections::BTreeMap<String, Vec<String>>,
    /// How a new batch of questions interrupts: `off`, `bell`, `osc9` or `both`.
    pub notify: String,
    /// Lines the Logs pane keeps (the oldest are dropped).
    pub log_lines: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineSettings {
    /// Workflows running at once across the engine.
    pub max_concurrent_workflows: usize,
    /// Skill processes running at once across the engine.
    pub max_parallel_skills: usize,
    /// Bytes of stdout and of stderr kept per step (the tail).
    pub output_limit: usize,
    /// Time between SIGTERM and SIGKILL when a step's process group is ended.
    pub kill_grace: Duration,
    /// How often the engine looks for work other processes committed without nudging it.
    pub poll_interval: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationSettings {
    pub batch_size: usize,
    pub timeout: Duration,
    pub max_per_hour: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheSettings {
    /// `None` when Redis is off.
    pub redis_url: Option<String>,
    /// The most any one Redis call may take before Bosun goes on without it.
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            engine: EngineSettings {
                max_concurrent_workflows: 10,
                max_parallel_skills: 5,
                output_limit: 64 * 1024,
                kill_grace: Duration::from_secs(2),
                poll_interval: Duration::from_millis(250),
            },
            escalation: EscalationSettings {
                batch_size: 5,
                timeout: Duration::from_secs(300),
                max_per_hour: 12,
            },
            cache: CacheSettings {
                redis_url: None,
                timeout: Duration::from_millis(10),
            },
            backup: Default::default(),
            log_level: "info".to_string(),
            theme: "dark".to_string(),
            ui: UiSettings {
                keys: Default::default(),
                notify: "bell".to_string(),
                log_lines: 5_000,
            },
            env: Default::default(),
            path: DEFAULT_PATH
                .iter()
                .map(|entry| PathEntry(entry.to_string()))
                .collect(),
            agents: default_agents(),
            budget: Budget::default(),
            worktree: Default::default(),
            api: Default::default(),
            retention: Default::default(),
            overrides: Default::default(),
        }
    }
}

/// One layer of settings as written in a config file: every field optional, nothing unknown.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialSettings {
    pub engine: Option<PartialEngine>,
    pub escalation: Option<PartialEscalation>,
    pub cache: Option<PartialCache>,
    pub backup: Option<super::backup::PartialBackup>,
    pub log: Option<PartialLog>,
    pub ui: Option<PartialUi>,
    pub env: Option<std::collections::BTreeMap<EnvName, EnvValue>>,
    pub path: Option<Vec<PathEntry>>,
    pub agents: Option<std::collections::BTreeMap<String, PartialAgent>>,
    pub budget: Option<PartialBudget>,
    pub worktree: Option<super::worktree::PartialWorktree>,
    pub api: Option<super::api::PartialApi>,
    pub retention: Option<super::retention::PartialRetention>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialEngine {
    pub max_concurrent_workflows: Option<usize>,
    pub max_parallel_skills: Option<usize>,
    pub output_limit: Option<usize>,
    pub kill_grace: Option<DurationSpec>,
    pub poll_interval: Option<DurationSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialEscalation {
    pub batch_size: Option<usize>,
    pub timeout: Option<DurationSpec>,
    pub max_per_hour: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialCache {
    pub redis_url: Option<String>,
    pub timeout: Option<DurationSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialLog {
    pub level: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialUi {
    pub theme: Option<String>,
    pub keys: Option<std::collections::BTreeMap<String, Vec<String>>>,
    pub notify: Option<String>,
    pub log_lines: Option<usize>,
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

/// `off` (or an empty value) turns Redis off.
pub(super) fn redis_url(value: String) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("off") {
        None
    } else {
        Some(trimmed.to_string())
    }
}

impl Settings {
    /// Applies one layer on top: only what the layer sets changes.
    pub(super) fn apply(&mut self, layer: PartialSettings) {
        if let Some(e) = layer.engine {
            set(
                &mut self.engine.max_concurrent_workflows,
                e.max_concurrent_workflows,
            );
            set(&mut self.engine.max_parallel_skills, e.max_parallel_skills);
            set(&mut self.engine.output_limit, e.output_limit);
            set(&mut self.engine.kill_grace, e.kill_grace.map(|d| d.0));
            set(&mut self.engine.poll_interval, e.poll_interval.map(|d| d.0));
        }
        if let Some(e) = layer.escalation {
            set(&mut self.escalation.batch_size, e.batch_size);
            set(&mut self.escalation.timeout, e.timeout.map(|d| d.0));
            set(&mut self.escalation.max_per_hour, e.max_per_hour);
        }
        if let Some(c) = layer.cache {
            if let Some(url) = c.redis_url {
                self.cache.redis_url = redis_url(url);
            }
            set(&mut self.cache.timeout, c.timeout.map(|d| d.0));
        }
        if let Some(b) = layer.backup {
            self.backup.apply(b);
        }
        if let Some(l) = layer.log {
            set(&mut self.log_level, l.level);
        }
        if let Some(u) = layer.ui {
            set(&mut self.theme, u.theme);
            if let Some(keys) = u.keys {
                self.ui.keys.extend(keys);
            }
            set(&mut self.ui.notify, u.notify);
            set(&mut self.ui.log_lines, u.log_lines);
        }
        // Variables add up across layers, by name; a `path` list replaces the one before.
        if let Some(env) = layer.env {
            self.env.extend(env.into_iter().map(|(k, v)| (k.0, v.0)));
        }
        set(&mut self.path, layer.path);
        if let Some(agents) = layer.agents {
            apply_agents(&mut self.agents, agents);
        }
        if let Some(budget) = layer.budget {
            apply_budget(&mut self.budget, budget);
        }
        if let Some(worktree) = layer.worktree {
            self.worktree.apply(worktree);
        }
        if let Some(api) = layer.api {
            self.api.apply(api);
        }
        if let Some(retention) = layer.retention {
            self.retention.apply(retention);
        }
    }

    /// Limits of zero would stop all work silently; they are refused instead.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.engine.max_concurrent_workflows == 0 {
            return Err("engine.max_concurrent_workflows must be at least 1".into());
        }
        if self.engine.max_parallel_skills == 0 {
            return Err("engine.max_parallel_skills must be at least 1".into());
        }
        if self.engine.poll_interval.is_zero() {
            return Err("engine.poll_interval must be longer than zero".into());
        }
        if !["off", "bell", "osc9", "both"].contains(&self.ui.notify.as_str()) {
            return Err(format!(
                "ui.notify must be off, bell, osc9 or both, not `{}`",
                self.ui.notify
            ));
        }
        if self.ui.log_lines == 0 {
            return Err("ui.log_lines must be at least 1".into());
        }
        if self.escalation.batch_size == 0 {
            return Err("escalation.batch_size must be at least 1".into());
        }
        self.worktree.check()?;
        self.api.check()?;
        self.backup.check()?;
        self.retention.check()?;
        super::agents::check(&self.agents, &self.budget)
    }
}
