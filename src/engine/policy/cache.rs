//! The policy in force for a running engine, reloaded when `.bosun/policy.yaml` changes (an
//! edit or a rule written by `bosun answer --remember rule` takes effect at the next check).
//! An invalid edit keeps the last good policy and is reported once, not at every check.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::Policy;
use crate::config::ProjectPaths;
use crate::diagnostic::Diagnostics;

/// What identifies one version of the file: its modification time and length.
type Stamp = Option<(SystemTime, u64)>;

#[derive(Debug)]
struct Loaded {
    stamp: Stamp,
    policy: Arc<Policy>,
    /// The stamp whose error was reported, so it is reported once.
    reported: Stamp,
}

/// The engine's policy, shared by its runners.
#[derive(Debug)]
pub struct PolicyCache {
    paths: ProjectPaths,
    loaded: Mutex<Loaded>,
}

fn stamp(paths: &ProjectPaths) -> Stamp {
    let meta = std::fs::metadata(paths.policy_file()).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl PolicyCache {
    /// Loads the policy; an invalid project policy is an error here (the engine refuses to
    /// start on it, as it does on an invalid config).
    pub fn new(paths: &ProjectPaths) -> Result<PolicyCache, Diagnostics> {
        let stamp = stamp(paths);
        let policy = Arc::new(Policy::load(paths)?);
        Ok(PolicyCache {
            paths: paths.clone(),
            loaded: Mutex::new(Loaded {
                stamp,
                policy,
                reported: None,
            }),
        })
    }

    /// The built-in rules only, until the project's policy becomes valid: what an engine runs
    /// on when the file broke between the check at start-up and the load.
    pub fn fallback(paths: &ProjectPaths) -> Result<PolicyCache, Diagnostics> {
        Ok(PolicyCache {
            paths: paths.clone(),
            loaded: Mutex::new(Loaded {
                stamp: None,
                policy: Arc::new(Policy::builtin()?),
                reported: None,
            }),
        })
    }

    /// The policy now: reloaded if the file changed and the new version is valid.
    pub fn current(&self) -> Arc<Policy> {
        let now = stamp(&self.paths);
        // A panic while holding the lock cannot leave a half-made policy (it is replaced
        // whole), so a poisoned lock still holds a good one.
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if now != loaded.stamp {
            match Policy::load(&self.paths) {
                Ok(policy) => {
                    tracing::info!(file = %self.paths.policy_file().display(), "policy reloaded");
                    loaded.policy = Arc::new(policy);
                    loaded.stamp = now;
                    loaded.reported = None;
                }
                Err(e) if loaded.reported != now => {
                    tracing::error!("policy not reloaded, the last good one stays in force:\n{e}");
                    loaded.reported = now;
                }
                Err(_) => {}
            }
        }
        loaded.policy.clone()
    }
}
