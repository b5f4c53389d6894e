//! The policy in force for a running engine, reloaded when `.bosun/policy.yaml` changes (an
//! edit or a rule written by `bosun answer --remember rule` takes effect at the next check):
//! lazily, when a check finds the file changed, or at once through [`PolicyCache::reload`]
//! (the watcher). An invalid version keeps the last good policy in force and goes to the
//! engine's [`DefinitionProblems`], which logs it once and shows it in the status bar; a
//! version that failed is not parsed again at every check, only once the file changes again.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use super::Policy;
use crate::config::ProjectPaths;
use crate::definitions::problems::DefinitionProblems;
use crate::diagnostic::Diagnostics;

/// What identifies one version of the file: its modification time and length.
type Stamp = Option<(SystemTime, u64)>;

#[derive(Debug)]
struct Loaded {
    policy: Arc<Policy>,
    /// The version last loaded, valid or not: a check loads again only when it differs.
    seen: Stamp,
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
        let seen = stamp(paths);
        let policy = Arc::new(Policy::load(paths)?);
        Ok(PolicyCache {
            paths: paths.clone(),
            loaded: Mutex::new(Loaded { policy, seen }),
        })
    }

    /// The built-in rules only, until the project's policy becomes valid: what an engine runs
    /// on when the file broke between the check at start-up and the load.
    pub fn fallback(paths: &ProjectPaths) -> Result<PolicyCache, Diagnostics> {
        Ok(PolicyCache {
            paths: paths.clone(),
            loaded: Mutex::new(Loaded {
                policy: Arc::new(Policy::builtin()?),
                seen: None,
            }),
        })
    }

    /// The policy now: loaded again first if the file changed since it was last loaded.
    pub fn current(&self, problems: &DefinitionProblems) -> Arc<Policy> {
        let now = stamp(&self.paths);
        let mut loaded = self.lock();
        if now != loaded.seen {
            self.load(&mut loaded, now, problems);
        }
        loaded.policy.clone()
    }

    /// Loads the file now, whatever its stamp says (an edit within the file system's time
    /// granularity that keeps the length would look unchanged), and returns the policy in force.
    pub fn reload(&self, problems: &DefinitionProblems) -> Arc<Policy> {
        let now = stamp(&self.paths);
        let mut loaded = self.lock();
        self.load(&mut loaded, now, problems);
        loaded.policy.clone()
    }

    fn load(&self, loaded: &mut Loaded, now: Stamp, problems: &DefinitionProblems) {
        let file = self.paths.policy_file();
        loaded.seen = now;
        match Policy::load(&self.paths) {
            Ok(policy) => {
                tracing::info!(file = %file.display(), "policy reloaded");
                loaded.policy = Arc::new(policy);
                problems.clear(&file);
            }
            Err(e) => problems.report(
                &file,
                format!("{e}\nthe policy was not reloaded: the last good one stays in force until it is fixed"),
            ),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Loaded> {
        // A panic while holding the lock cannot leave a half-made policy (it is replaced
        // whole), so a poisoned lock still holds a good one.
        self.loaded.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
