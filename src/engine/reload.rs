//! Reloading `.bosun/config.yaml` and `.bosun/policy.yaml` while the engine runs (the watcher
//! calls [`reload_config`] and [`reload_policy`] when they change).
//!
//! Invariants: an invalid edit changes nothing in force — the last good settings or policy stay,
//! and the problem goes to the [`crate::definitions::problems::DefinitionProblems`] registry (logged once, shown in the
//! status bar) until a valid version clears it. A valid config is layered again exactly as at
//! start (defaults → user file → project file → `BOSUN_*` → the same command-line flags) and
//! swapped in whole; runners read it at their next use. Settings the engine only reads when
//! it starts are reported as applying at the next start.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::config::{Overrides, Settings, load_settings};
use crate::diagnostic::Diagnostic;
use crate::engine::runner::RunContext;

/// The settings in force, replaced whole by a reload.
#[derive(Debug)]
pub struct LiveSettings {
    current: RwLock<Arc<Settings>>,
    /// Held through a reload, so two reloads never interleave their read and swap.
    reloading: Mutex<()>,
}

impl LiveSettings {
    /// The settings now; a reload after this call does not change what it returned.
    pub fn current(&self) -> Arc<Settings> {
        // The lock only guards a pointer swap, so a poisoned lock still holds whole settings.
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, settings: Settings) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(settings);
    }
}

impl From<Settings> for LiveSettings {
    fn from(settings: Settings) -> LiveSettings {
        LiveSettings {
            current: RwLock::new(Arc::new(settings)),
            reloading: Mutex::new(()),
        }
    }
}

/// Layers the settings again after a config file changed. Invalid: reported to
/// `ctx.problems`, nothing changes. Valid: the problem (if any) is cleared, the new settings
/// are swapped in, the skill-slot limit follows, and one line names what changed.
pub(crate) fn reload_config(ctx: &RunContext) {
    apply_config(ctx, |overrides| load_settings(&ctx.paths, overrides));
}

/// [`reload_config`] with the layering given (tests layer without the user's file and
/// environment).
fn apply_config(ctx: &RunContext, load: impl FnOnce(&Overrides) -> Result<Settings, Diagnostic>) {
    let _one_at_a_time = ctx
        .settings
        .reloading
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let file = ctx.paths.config_file();
    let old = ctx.settings.current();
    let new = match load(&old.overrides) {
        Ok(new) => new,
        Err(diagnostic) => {
            ctx.problems.report(
                &file,
                format!(
                    "{diagnostic}\nthe config was not reloaded: the settings in force stay until it is fixed"
                ),
            );
            return;
        }
    };
    ctx.problems.clear(&file);
    let changes = changes(&old, &new);
    if changes.is_empty() {
        tracing::debug!(file = %file.display(), "config reloaded, nothing changed");
        return;
    }
    ctx.skill_slots.resize(
        old.engine.max_parallel_skills,
        new.engine.max_parallel_skills,
    );
    ctx.settings.replace(new);
    let (live, later): (Vec<_>, Vec<_>) = changes.into_iter().partition(|c| c.live);
    let list = |changes: &[Change]| {
        changes
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !live.is_empty() {
        tracing::info!("config reloaded: {}", list(&live));
    }
    if !later.is_empty() {
        tracing::info!(
            "config changed, applying at the next start: {}",
            list(&later)
        );
    }
}

/// Loads `.bosun/policy.yaml` now (rather than at the next check that uses it). Invalid: the
/// last good policy stays and the problem goes to `ctx.problems`; valid: it is in force for
/// the next check and the problem is cleared.
pub(crate) fn reload_policy(ctx: &RunContext) {
    ctx.policy.reload(&ctx.problems);
}

/// One setting that differs.
#[derive(Debug)]
struct Change {
    /// `engine.max_concurrent_workflows 10 → 4`
    text: String,
    /// False for what the engine reads only at start.
    live: bool,
}

/// What differs between two settings, in the order of the config file's sections.
fn changes(old: &Settings, new: &Settings) -> Vec<Change> {
    let mut out = Vec::new();
    let mut value = |key: &str, live: bool, before: String, after: String| {
        if before != after {
            out.push(Change {
                text: format!("{key} {before} → {after}"),
                live,
            });
        }
    };
    let count = |n: usize| n.to_string();
    let time = |d: std::time::Duration| humantime::format_duration(d).to_string();
    let (o, n) = (&old.engine, &new.engine);
    value(
        "engine.max_concurrent_workflows",
        true,
        count(o.max_concurrent_workflows),
        count(n.max_concurrent_workflows),
    );
    value(
        "engine.max_parallel_skills",
        true,
        count(o.max_parallel_skills),
        count(n.max_parallel_skills),
    );
    value(
        "engine.output_limit",
        true,
        count(o.output_limit),
        count(n.output_limit),
    );
    value(
        "engine.kill_grace",
        true,
        time(o.kill_grace),
        time(n.kill_grace),
    );
    value(
        "engine.poll_interval",
        false,
        time(o.poll_interval),
        time(n.poll_interval),
    );
    let (o, n) = (&old.escalation, &new.escalation);
    value(
        "escalation.batch_size",
        true,
        count(o.batch_size),
        count(n.batch_size),
    );
    value("escalation.timeout", true, time(o.timeout), time(n.timeout));
    value(
        "escalation.max_per_hour",
        true,
        o.max_per_hour.to_string(),
        n.max_per_hour.to_string(),
    );
    value(
        "cache.timeout",
        false,
        time(old.cache.timeout),
        time(new.cache.timeout),
    );
    value(
        "backup.interval",
        true,
        time(old.backup.interval),
        time(new.backup.interval),
    );
    // Read at each hourly prune: the next one follows.
    value(
        "retention.history",
        true,
        old.retention.history.to_string(),
        new.retention.history.to_string(),
    );
    value(
        "retention.audit",
        true,
        old.retention.audit.to_string(),
        new.retention.audit.to_string(),
    );
    value(
        "log.level",
        false,
        old.log_level.clone(),
        new.log_level.clone(),
    );
    value("ui.theme", false, old.theme.clone(), new.theme.clone());
    value(
        "ui.notify",
        false,
        old.ui.notify.clone(),
        new.ui.notify.clone(),
    );
    value(
        "ui.log_lines",
        false,
        count(old.ui.log_lines),
        count(new.ui.log_lines),
    );
    // A Redis URL may hold a password, and a key map is long: named, not shown.
    for (key, differs) in [
        (
            "cache.redis_url",
            old.cache.redis_url != new.cache.redis_url,
        ),
        ("ui.keys", old.ui.keys != new.ui.keys),
    ] {
        if differs {
            out.push(Change {
                text: format!("{key} changed"),
                live: false,
            });
        }
    }
    // Read as each step starts: the next step runs with them. Values may be secrets: named.
    for (key, differs) in [("env", old.env != new.env), ("path", old.path != new.path)] {
        if differs {
            out.push(Change {
                text: format!("{key} changed"),
                live: true,
            });
        }
    }
    out
}

#[cfg(test)]
#[path = "reload_tests.rs"]
mod tests;
