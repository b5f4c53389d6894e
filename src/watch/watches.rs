//! The kernel watches of a tree: one non-recursive watch per directory, counted, forgotten when
//! the directory goes, and stopped at the kernel's limit with one clear message.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

pub(super) struct Watches {
    root: PathBuf,
    watcher: RecommendedWatcher,
    /// The directories watched, relative to the root.
    watched: HashSet<PathBuf>,
    /// Set once the kernel's limit was reached: what to do about it.
    limited: Option<String>,
}

impl Watches {
    pub fn new(root: &Path, watcher: RecommendedWatcher) -> Watches {
        Watches {
            root: root.to_path_buf(),
            watcher,
            watched: HashSet::new(),
            limited: None,
        }
    }

    pub fn count(&self) -> usize {
        self.watched.len()
    }

    pub fn limited(&self) -> Option<&str> {
        self.limited.as_deref()
    }

    /// Watches directory `rel` (once); past the kernel's limit, says so once and stops trying.
    pub fn add(&mut self, rel: &Path) {
        if self.limited.is_some() || self.watched.contains(rel) {
            return;
        }
        let dir = self.root.join(rel);
        match self.watcher.watch(&dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.watched.insert(rel.to_path_buf());
            }
            Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => {
                let message = format!(
                    "the project has more directories than the kernel lets one user watch \
                     ({} watched; fs.inotify.max_user_watches is {}): changes in the others are \
                     not seen. Ignore generated directories in .gitignore or .ignore, or raise \
                     the limit: sudo sysctl fs.inotify.max_user_watches=524288",
                    self.watched.len(),
                    max_user_watches().unwrap_or_else(|| "unknown".into())
                );
                tracing::warn!("{message}");
                self.limited = Some(message);
            }
            // A directory removed while it was being walked: nothing to watch.
            Err(e) => tracing::debug!(dir = %dir.display(), error = %e, "not watched"),
        }
    }

    /// Watches `rel` outside the count (Bosun's own definition directories).
    pub fn add_quietly(&mut self, rel: &Path) {
        let _ = self
            .watcher
            .watch(&self.root.join(rel), RecursiveMode::NonRecursive);
    }

    /// Forgets `rel` and every watched directory below it (removed or moved away), so one
    /// created again under the same name is watched afresh.
    pub fn forget(&mut self, rel: &Path) {
        let gone: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|w| w.starts_with(rel))
            .cloned()
            .collect();
        for dir in gone {
            let _ = self.watcher.unwatch(&self.root.join(&dir));
            self.watched.remove(&dir);
        }
    }

    /// Drops the kernel watcher: its thread ends and no event comes after.
    pub fn stop(self) {
        drop(self.watcher);
    }
}

fn max_user_watches() -> Option<String> {
    std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
        .ok()
        .map(|s| s.trim().to_string())
}
