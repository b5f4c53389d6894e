//! What is wrong, right now, with the definitions a running engine reads (`.bosun/config.yaml`,
//! `.bosun/policy.yaml`, workflows, skills): one message per file, shown in the logs and, through
//! [`crate::protocol::Health`], in the interface's status bar.
//!
//! Invariants: a file has at most one problem, its latest; a problem is logged when it appears or
//! changes, never again while it stays the same (a loader may report at every use without
//! flooding the logs); clearing a file that had one says so once. The engine keeps running on
//! the last good version of a broken file (DESIGN.md §7), so a problem here is a warning about
//! an edit, not a stopped engine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The registry: cheap to clone, every clone sees the same problems.
#[derive(Debug, Clone, Default)]
pub struct DefinitionProblems {
    // Shared by the reloaders and the handle's health query; each access is a map operation,
    // never held across an await.
    inner: Arc<Mutex<BTreeMap<PathBuf, String>>>,
}

impl DefinitionProblems {
    /// Records that `path` is invalid. `message` is what the user reads: its first line should be
    /// a diagnostic (`FILE:LINE:COL: message`), which is what the status bar lists; later lines
    /// may say what the engine does meanwhile. Logged at error level only when new or changed.
    pub fn report(&self, path: &Path, message: impl Into<String>) {
        let message = message.into();
        let previous = self.lock().insert(path.to_path_buf(), message.clone());
        if previous.as_ref() != Some(&message) {
            tracing::error!("{message}");
        }
    }

    /// Records that `path` is valid (again); says so when it had a problem.
    pub fn clear(&self, path: &Path) {
        if self.lock().remove(path).is_some() {
            tracing::info!("{} is valid again; its problem is cleared", path.display());
        }
    }

    /// Every file with a problem and its message, in path order.
    pub fn list(&self) -> Vec<(PathBuf, String)> {
        self.lock()
            .iter()
            .map(|(path, message)| (path.clone(), message.clone()))
            .collect()
    }

    /// The first line of each message (`FILE:LINE:COL: message`), in path order: what a front
    /// end shows.
    pub fn summaries(&self) -> Vec<String> {
        self.lock()
            .values()
            .map(|message| message.lines().next().unwrap_or_default().to_string())
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<PathBuf, String>> {
        // Every change is one map operation, so a panic elsewhere cannot leave the map half
        // changed: a poisoned lock still holds a consistent registry.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tracing::subscriber::with_default;
    use tracing_subscriber::layer::{Context, SubscriberExt};

    use super::*;

    /// Counts the events logged at each level.
    #[derive(Clone, Default)]
    struct Counts {
        errors: Arc<AtomicUsize>,
        infos: Arc<AtomicUsize>,
    }

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counts {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            match *event.metadata().level() {
                tracing::Level::ERROR => self.errors.fetch_add(1, Ordering::SeqCst),
                tracing::Level::INFO => self.infos.fetch_add(1, Ordering::SeqCst),
                _ => 0,
            };
        }
    }

    fn counted(f: impl FnOnce()) -> (usize, usize) {
        let counts = Counts::default();
        let subscriber = tracing_subscriber::registry().with(counts.clone());
        with_default(subscriber, f);
        (
            counts.errors.load(Ordering::SeqCst),
            counts.infos.load(Ordering::SeqCst),
        )
    }

    #[test]
    fn a_problem_is_logged_once_while_it_stays_the_same() {
        let problems = DefinitionProblems::default();
        let file = Path::new("/p/.bosun/config.yaml");
        let (errors, _) = counted(|| {
            for _ in 0..3 {
                problems.report(file, "/p/.bosun/config.yaml:2:3: bad\nthe old one stays");
            }
        });
        assert_eq!(errors, 1);
        let (errors, _) = counted(|| problems.report(file, "/p/.bosun/config.yaml:4:1: worse"));
        assert_eq!(errors, 1, "a changed problem is logged again");
        assert_eq!(
            problems.list(),
            vec![(
                file.to_path_buf(),
                "/p/.bosun/config.yaml:4:1: worse".into()
            )]
        );
    }

    #[test]
    fn clearing_says_so_only_for_a_file_that_had_a_problem() {
        let problems = DefinitionProblems::default();
        let clone = problems.clone();
        let broken = Path::new("/p/b.yaml");
        problems.report(broken, "/p/b.yaml:1:1: bad\nmore");
        problems.report(Path::new("/p/a.yaml"), "/p/a.yaml:3:2: also bad");
        assert_eq!(
            clone.summaries(),
            vec!["/p/a.yaml:3:2: also bad", "/p/b.yaml:1:1: bad"],
            "clones share the registry; first lines in path order"
        );
        let (_, infos) = counted(|| {
            clone.clear(broken);
            clone.clear(broken);
            clone.clear(Path::new("/p/never.yaml"));
        });
        assert_eq!(infos, 1);
        assert_eq!(problems.summaries(), vec!["/p/a.yaml:3:2: also bad"]);
    }
}
