//! Watching a project tree: `notify` (inotify on Linux), its events settled by `settle`, one
//! non-recursive watch per directory that is not ignored — so `target/`, `node_modules/`, a
//! virtualenv and the like cost no watch at all, with or without an ignore file (see `rules`). Directories created later are walked and watched as they
//! appear (their files count as changed). A tree larger than the kernel's watch limit is watched
//! up to the limit, with one clear warning, never a crash.
//!
//! Changes come out in batches: files of the tree (relative paths, with the time each change
//! happened) and Bosun's own definitions under `.bosun/` (for reloading, never for triggers).

use std::path::{Path, PathBuf};
use std::time::Instant;

use notify::event::{CreateKind, EventKind};
use tokio::sync::mpsc;

use super::rules::IgnoreRules;
use super::settle::{self, Raw};
use super::watches::Watches;

/// One changed file of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Relative to the project root, `/`-separated on every platform Bosun runs on.
    pub path: PathBuf,
    /// When it happened (not when it was passed on).
    pub at: Instant,
}

/// What changed since the last batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Batch {
    pub files: Vec<Change>,
    /// Changed definition files: `.bosun/config.yaml`, `.bosun/policy.yaml`,
    /// `.bosun/workflows/*.yaml`, `.bosun/skills/*.yaml` (relative paths).
    pub definitions: Vec<PathBuf>,
}

/// A running watcher; dropping it stops watching.
#[derive(Debug)]
pub struct TreeWatcher {
    stop: tokio::sync::oneshot::Sender<()>,
}

impl TreeWatcher {
    /// Stops watching.
    pub fn stop(self) {
        let _ = self.stop.send(());
    }
}

/// What [`start`] reports about the tree it watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watching {
    pub directories: usize,
    /// Set when the kernel's watch limit was reached: what to do about it.
    pub limited: Option<String>,
}

/// Starts watching the tree at `root`; batches arrive on the returned channel.
pub fn start(root: &Path) -> Result<(TreeWatcher, Watching, mpsc::Receiver<Batch>), String> {
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    let (raw_tx, raw_rx) = mpsc::unbounded_channel::<Raw>();
    let watcher = notify::recommended_watcher(move |result| {
        let _ = raw_tx.send((result, Instant::now()));
    })
    .map_err(|e| format!("cannot start the file watcher: {e}"))?;
    let mut tree = Tree {
        rules: IgnoreRules::new(&root),
        watches: Watches::new(&root, watcher),
        root,
    };
    tree.walk(Path::new(""));
    tree.watch_definitions();
    let watching = Watching {
        directories: tree.watches.count(),
        limited: tree.watches.limited().map(str::to_string),
    };
    let (tx, rx) = mpsc::channel(256);
    let (stop, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(tree.run(raw_rx, tx, stopped));
    Ok((TreeWatcher { stop }, watching, rx))
}

struct Tree {
    root: PathBuf,
    rules: IgnoreRules,
    watches: Watches,
}

impl Tree {
    async fn run(
        mut self,
        mut raw: mpsc::UnboundedReceiver<Raw>,
        tx: mpsc::Sender<Batch>,
        mut stopped: tokio::sync::oneshot::Receiver<()>,
    ) {
        loop {
            let group = tokio::select! {
                _ = &mut stopped => break,
                group = settle::next_group(&mut raw) => match group {
                    Some(group) => group,
                    None => break,
                },
            };
            let (events, errors) = group;
            for e in errors {
                tracing::warn!(error = %e, "the file watcher reported an error");
            }
            let mut batch = Batch::default();
            for (event, at) in events {
                self.take(&event.kind, &event.paths, at, &mut batch);
            }
            if (!batch.files.is_empty() || !batch.definitions.is_empty())
                && tx.send(batch).await.is_err()
            {
                break;
            }
        }
        self.watches.stop();
    }

    /// Folds one event into the batch, watching new directories on the way.
    fn take(&mut self, kind: &EventKind, paths: &[PathBuf], at: Instant, batch: &mut Batch) {
        if matches!(kind, EventKind::Access(_)) {
            return;
        }
        for path in paths {
            let Ok(rel) = path.strip_prefix(&self.root).map(Path::to_path_buf) else {
                continue;
            };
            if is_gone(kind) && !rel.as_os_str().is_empty() {
                // A directory removed or moved away takes its watches with it; one created
                // again under the same name is watched afresh.
                self.watches.forget(&rel);
            }
            if let Some(definition) = definition(&rel) {
                batch.definitions.push(definition);
                continue;
            }
            // Tasks' worktrees are checkouts of their own: never a trigger, never a reload.
            if rel.starts_with(".bosun/worktrees") {
                continue;
            }
            if rel.starts_with(".bosun") && path.is_dir() {
                // `.bosun/workflows` or `.bosun/skills` created after the start: watched from
                // now on, and read for what it already holds (`mkdir -p` then a file written
                // before the watch was in place gives no event of its own).
                self.watch_definitions();
                batch.definitions.extend(self.existing_definitions());
                continue;
            }
            let is_dir = path.is_dir();
            if rel.as_os_str().is_empty() || self.rules.is_ignored(&rel, is_dir) {
                continue;
            }
            if is_dir {
                if matches!(
                    kind,
                    EventKind::Create(CreateKind::Folder | CreateKind::Any)
                ) || matches!(kind, EventKind::Modify(notify::event::ModifyKind::Name(_)))
                {
                    for file in self.walk(&rel) {
                        batch.files.push(Change { path: file, at });
                    }
                }
                continue;
            }
            let name = rel.file_name().and_then(|n| n.to_str());
            if name.is_some_and(|n| super::rules::GENERATED_MARKERS.contains(&n))
                && is_created(kind)
            {
                // `python -m venv` writes pyvenv.cfg after making the directories the watcher
                // has already walked: the tree is generated after all, and stops being watched
                // before the install that follows floods it.
                let dir = rel.parent().unwrap_or(Path::new(""));
                if !dir.as_os_str().is_empty() && self.rules.is_ignored(dir, true) {
                    self.watches.forget(dir);
                    continue;
                }
            }
            if matches!(name, Some(".gitignore" | ".ignore")) {
                // The rules of that directory changed: directories they no longer ignore are
                // watched from now on (their files did not change, so they are not reported).
                let dir = rel.parent().unwrap_or(Path::new("")).to_path_buf();
                self.rules.load_dir(&dir);
                self.walk(&dir);
            }
            batch.files.push(Change { path: rel, at });
        }
    }

    /// Watches `rel` and every directory below it that is not ignored (each before reading
    /// it, so a file created meanwhile is seen one way or the other); returns the files found.
    fn walk(&mut self, rel: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let watches = &mut self.watches;
        self.rules.walk(rel, |path, is_dir| {
            if is_dir {
                watches.add(path);
            } else {
                files.push(path.to_path_buf());
            }
        });
        files
    }

    /// The definition files already in `.bosun/`, `.bosun/workflows/` and `.bosun/skills/`.
    fn existing_definitions(&self) -> Vec<PathBuf> {
        [".bosun", ".bosun/workflows", ".bosun/skills"]
            .iter()
            .filter_map(|rel| std::fs::read_dir(self.root.join(rel)).ok())
            .flat_map(|entries| entries.flatten())
            .filter_map(|entry| {
                let rel = entry.path().strip_prefix(&self.root).ok()?.to_path_buf();
                definition(&rel)
            })
            .collect()
    }

    /// Watches `.bosun/`, `.bosun/workflows/` and `.bosun/skills/` (not state, logs, backups).
    fn watch_definitions(&mut self) {
        for rel in [".bosun", ".bosun/workflows", ".bosun/skills"] {
            if self.root.join(rel).is_dir() {
                self.watches.add_quietly(Path::new(rel));
            }
        }
    }
}

/// A path created, or renamed into place.
fn is_created(kind: &EventKind) -> bool {
    use notify::event::{ModifyKind, RenameMode};
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Any))
    )
}

/// A path removed, or renamed away.
fn is_gone(kind: &EventKind) -> bool {
    use notify::event::{ModifyKind, RenameMode};
    matches!(
        kind,
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From))
    )
}

/// The definition file `rel` names, if it is one.
fn definition(rel: &Path) -> Option<PathBuf> {
    let mut parts = rel.components().map(|c| c.as_os_str().to_str());
    if parts.next()? != Some(".bosun") {
        return None;
    }
    let rest: Vec<Option<&str>> = parts.collect();
    let yaml = |name: &str| name.ends_with(".yaml") || name.ends_with(".yml");
    let is_definition = match rest.as_slice() {
        [Some("config.yaml" | "policy.yaml")] => true,
        [Some("workflows" | "skills"), Some(name)] => yaml(name),
        _ => false,
    };
    is_definition.then(|| rel.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::definition;
    use std::path::Path;

    #[test]
    fn only_definition_files_count_as_definitions() {
        let yes = |p: &str| definition(Path::new(p)).is_some();
        assert!(yes(".bosun/config.yaml"));
        assert!(yes(".bosun/policy.yaml"));
        assert!(yes(".bosun/workflows/ci.yaml"));
        assert!(yes(".bosun/skills/lint.yml"));
        assert!(!yes(".bosun/state/bosun.db"));
        assert!(!yes(".bosun/logs/bosun.log"));
        assert!(!yes(".bosun/workflows/notes.txt"));
        assert!(!yes("src/config.yaml"));
    }
}
