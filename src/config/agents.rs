//! Where the coding agents are and what they may spend (DESIGN.md §8): `agents.<adapter>`
//! names each adapter's binary, its extra arguments, model and environment; `budget` caps the
//! dollars a task and a day may spend before Bosun asks.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::DurationSpec;
use super::environment::{EnvName, EnvValue};

/// The adapters Bosun speaks, by the name a skill's `adapter:` uses.
pub const ADAPTERS: &[&str] = &["claude-code", "codex"];

/// How to start one adapter's agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentSettings {
    /// The binary: a name looked up on `PATH`, or a path.
    pub command: String,
    /// Put before Bosun's own protocol flags.
    pub args: Vec<String>,
    pub model: Option<String>,
    /// Added to the environment the agent inherits from the engine.
    pub env: BTreeMap<String, String>,
    /// How long this adapter's agent steps pause once an agent's own API retries ran out
    /// (429, 529, 5xx), doubling while it keeps failing, up to [`MAX_PAUSE_DOUBLINGS`] times.
    pub pause: DurationSpec,
}

/// A pause doubles at most this many times (60 s → 16 min).
pub const MAX_PAUSE_DOUBLINGS: u32 = 4;

/// The default `agents.<adapter>.pause`.
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(60);

impl AgentSettings {
    fn named(command: &str) -> AgentSettings {
        AgentSettings {
            command: command.to_string(),
            args: Vec::new(),
            model: None,
            env: BTreeMap::new(),
            pause: DurationSpec(DEFAULT_PAUSE),
        }
    }
}

/// The default settings of every adapter: `claude` and `codex` on `PATH`.
pub fn default_agents() -> BTreeMap<String, AgentSettings> {
    BTreeMap::from([
        ("claude-code".to_string(), AgentSettings::named("claude")),
        ("codex".to_string(), AgentSettings::named("codex")),
    ])
}

/// Spending limits; `None` is no limit.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Budget {
    pub task_usd: Option<f64>,
    pub day_usd: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialAgent {
    pub command: Option<String>,
    pub args: Option<Vec<String>>,
    pub model: Option<String>,
    pub env: Option<BTreeMap<EnvName, EnvValue>>,
    pub pause: Option<DurationSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialBudget {
    pub task_usd: Option<f64>,
    pub day_usd: Option<f64>,
}

/// Applies one layer's `agents:` on top of `agents`.
pub(super) fn apply_agents(
    agents: &mut BTreeMap<String, AgentSettings>,
    layer: BTreeMap<String, PartialAgent>,
) {
    for (name, partial) in layer {
        let entry = agents
            .entry(name)
            .or_insert_with(|| AgentSettings::named(""));
        if let Some(command) = partial.command {
            entry.command = command;
        }
        if let Some(args) = partial.args {
            entry.args = args;
        }
        if partial.model.is_some() {
            entry.model = partial.model.filter(|m| !m.is_empty());
        }
        if let Some(env) = partial.env {
            entry.env.extend(env.into_iter().map(|(k, v)| (k.0, v.0)));
        }
        if let Some(pause) = partial.pause {
            entry.pause = pause;
        }
    }
}

/// Applies one layer's `budget:`.
pub(super) fn apply_budget(budget: &mut Budget, layer: PartialBudget) {
    if layer.task_usd.is_some() {
        budget.task_usd = layer.task_usd;
    }
    if layer.day_usd.is_some() {
        budget.day_usd = layer.day_usd;
    }
}

/// Unknown adapters, empty commands and negative budgets are refused.
pub(super) fn check(
    agents: &BTreeMap<String, AgentSettings>,
    budget: &Budget,
) -> Result<(), String> {
    for (name, agent) in agents {
        if !ADAPTERS.contains(&name.as_str()) {
            return Err(format!(
                "agents.{name}: unknown adapter (known: {})",
                ADAPTERS.join(", ")
            ));
        }
        if agent.pause.0 < std::time::Duration::from_secs(1) {
            return Err(format!(
                "agents.{name}.pause must be at least 1s: it is how long agent steps wait once \
                 their API gave up"
            ));
        }
        if agent.command.trim().is_empty() {
            return Err(format!(
                "agents.{name}.command must name the agent's binary"
            ));
        }
    }
    for (key, value) in [("task_usd", budget.task_usd), ("day_usd", budget.day_usd)] {
        if value.is_some_and(|v| !v.is_finite() || v < 0.0) {
            return Err(format!(
                "budget.{key} must be a number of dollars, zero or more"
            ));
        }
    }
    Ok(())
}
