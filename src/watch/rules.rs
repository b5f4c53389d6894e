//! Which paths of the project tree the watcher ignores: `.git/` and `.bosun/` always (Bosun's
//! database, logs and backups live there; its definitions are watched apart, for reloading),
//! and whatever `.gitignore` and `.ignore` files (at any depth), `.git/info/exclude` and the
//! global git excludes say — read with the `ignore` crate's gitignore matcher, with git's
//! precedence: a deeper file overrides a shallower one, `.ignore` overrides `.gitignore`, and
//! nothing inside an ignored directory comes back.
//!
//! Generated trees are not watched either, whether or not an ignore file names them (a fresh
//! `npm init` or `python -m venv` project has no `.gitignore`): `node_modules/`,
//! `__pycache__/`, `.venv/`, `.tox/` and `.nox/` by name, and any directory holding a `pyvenv.cfg` (a virtualenv, whatever
//! its name) or a `CACHEDIR.TAG` (cargo's `target/`, pytest's and ruff's caches). Watching
//! them cost a walk of every file and a kernel watch per directory at each start, and events by
//! the thousand during an install. An ignore file's `!node_modules/` brings one back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Directory names never watched, at any depth.
const NEVER: [&str; 2] = [".git", ".bosun"];

/// Names of generated directories, not watched unless an ignore file re-includes them.
const GENERATED: [&str; 5] = ["node_modules", "__pycache__", ".venv", ".tox", ".nox"];

/// Files whose presence marks their directory as generated (a virtualenv; a cache directory
/// tagged by the Cache Directory Tagging convention).
pub const GENERATED_MARKERS: [&str; 2] = ["pyvenv.cfg", "CACHEDIR.TAG"];

/// The ignore rules of one project tree.
#[derive(Debug)]
pub struct IgnoreRules {
    root: PathBuf,
    /// The matcher of each directory that has ignore files, by path relative to the root.
    dirs: BTreeMap<PathBuf, Gitignore>,
    global: Gitignore,
}

impl IgnoreRules {
    /// The rules at the root alone (`.gitignore`, `.ignore`, `.git/info/exclude`, the global
    /// excludes); deeper directories' files are read by [`Self::load_dir`] as they are walked.
    pub fn new(root: &Path) -> IgnoreRules {
        let (global, _) = Gitignore::global();
        let mut rules = IgnoreRules {
            root: root.to_path_buf(),
            dirs: BTreeMap::new(),
            global,
        };
        rules.load_dir(Path::new(""));
        rules
    }

    /// (Re)reads the ignore files of directory `rel` (relative to the root).
    pub fn load_dir(&mut self, rel: &Path) {
        let dir = self.root.join(rel);
        let mut builder = GitignoreBuilder::new(&dir);
        let mut any = false;
        let mut files = vec![dir.join(".gitignore"), dir.join(".ignore")];
        if rel.as_os_str().is_empty() {
            files.insert(0, dir.join(".git/info/exclude"));
        }
        for file in files {
            if file.is_file() {
                any = true;
                if let Some(e) = builder.add(&file) {
                    tracing::warn!(file = %file.display(), error = %e, "part of an ignore file could not be read");
                }
            }
        }
        match builder.build() {
            Ok(matcher) if any => {
                self.dirs.insert(rel.to_path_buf(), matcher);
            }
            Ok(_) => {
                self.dirs.remove(rel);
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "ignore files not usable");
                self.dirs.remove(rel);
            }
        }
    }

    /// True when `rel` (a path relative to the root) or a directory above it is ignored, or
    /// is a generated tree. Markers are looked for in `rel` itself when it is a directory (the
    /// directories above an event's path were watched, so they were looked at already).
    pub fn is_ignored(&self, rel: &Path, is_dir: bool) -> bool {
        let components: Vec<_> = rel.components().collect();
        let mut prefix = PathBuf::new();
        for (i, component) in components.iter().enumerate() {
            prefix.push(component);
            let last = i + 1 == components.len();
            let name = component.as_os_str();
            if NEVER.iter().any(|n| name == *n) {
                return true;
            }
            let dir = if last { is_dir } else { true };
            match self.verdict(&prefix, dir) {
                Some(true) => return true,
                Some(false) => {}
                None if dir && GENERATED.iter().any(|n| name == *n) => return true,
                None if last && is_dir && self.has_marker(&prefix) => return true,
                None => {}
            }
        }
        false
    }

    /// True when directory `rel` holds a file marking it as generated.
    fn has_marker(&self, rel: &Path) -> bool {
        let dir = self.root.join(rel);
        GENERATED_MARKERS.iter().any(|m| dir.join(m).is_file())
    }

    /// What the matchers of the directories above `rel` say about it (the deepest decides):
    /// `Some(true)` ignored, `Some(false)` re-included, `None` nothing.
    fn verdict(&self, rel: &Path, is_dir: bool) -> Option<bool> {
        let mut dir = rel.parent();
        while let Some(d) = dir {
            if let Some(matcher) = self.dirs.get(d) {
                match matcher.matched(self.root.join(rel), is_dir) {
                    Match::Ignore(_) => return Some(true),
                    Match::Whitelist(_) => return Some(false),
                    Match::None => {}
                }
            }
            dir = d.parent();
        }
        match self.global.matched(rel, is_dir) {
            Match::Ignore(_) => Some(true),
            Match::Whitelist(_) => Some(false),
            Match::None => None,
        }
    }
}

impl IgnoreRules {
    /// Visits `start` (relative to the root) and everything below it that is not ignored,
    /// reading each directory's ignore files before its entries: `visit(path, is_dir)`, the
    /// directory itself first.
    pub fn walk(&mut self, start: &Path, mut visit: impl FnMut(&Path, bool)) {
        let mut pending = vec![start.to_path_buf()];
        while let Some(dir) = pending.pop() {
            self.load_dir(&dir);
            visit(&dir, true);
            let Ok(entries) = std::fs::read_dir(self.root.join(&dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let child = dir.join(entry.file_name());
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if self.is_ignored(&child, is_dir) {
                    continue;
                }
                if is_dir {
                    pending.push(child);
                } else {
                    visit(&child, false);
                }
            }
        }
    }
}

/// How many directories of the tree at `root` the watcher would watch (those not ignored).
pub fn count_directories(root: &Path) -> usize {
    let mut count = 0;
    IgnoreRules::new(root).walk(Path::new(""), |_, is_dir| count += usize::from(is_dir));
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    #[test]
    fn gitignore_at_any_depth_with_git_precedence() {
        let dir = tree(&[
            (".gitignore", "target/\n*.log\n"),
            ("app/.gitignore", "!keep.log\nbuild/\n"),
            ("app/.ignore", "scratch.txt\n"),
        ]);
        let mut rules = IgnoreRules::new(dir.path());
        rules.load_dir(Path::new("app"));
        let ignored = |p: &str, d: bool| rules.is_ignored(Path::new(p), d);
        assert!(ignored("target", true));
        assert!(ignored("target/debug/app", false), "inside an ignored dir");
        assert!(ignored("x.log", false));
        assert!(!ignored("app/keep.log", false), "a deeper file re-includes");
        assert!(ignored("app/other.log", false));
        assert!(ignored("app/build/out.o", false));
        assert!(ignored("app/scratch.txt", false), ".ignore is read too");
        assert!(!ignored("src/main.rs", false));
        assert!(ignored(".git/index", false));
        assert!(ignored(".bosun/state/bosun.db", false));
        assert!(ignored(".bosun/worktrees/t-1/src/main.rs", false), "tasks' worktrees");
        assert!(ignored("app/.git/HEAD", false), "nested repositories too");
    }

    #[test]
    fn ignored_directories_are_not_counted() {
        let dir = tree(&[
            (".gitignore", "target/\n"),
            ("src/a/x.rs", ""),
            ("target/debug/y", ""),
            (".git/HEAD", ""),
        ]);
        // The root, src and src/a.
        assert_eq!(count_directories(dir.path()), 3);
    }

    #[test]
    fn an_edited_ignore_file_is_read_again() {
        let dir = tree(&[(".gitignore", "")]);
        let mut rules = IgnoreRules::new(dir.path());
        assert!(!rules.is_ignored(Path::new("gen.rs"), false));
        std::fs::write(dir.path().join(".gitignore"), "gen.rs\n").expect("write");
        rules.load_dir(Path::new(""));
        assert!(rules.is_ignored(Path::new("gen.rs"), false));
    }

    #[test]
    fn generated_trees_are_not_watched_without_an_ignore_file() {
        let dir = tree(&[
            ("index.js", ""),
            ("node_modules/left-pad/index.js", ""),
            ("lib/node_modules/x/y.js", ""),
            ("env/pyvenv.cfg", "home = /usr/bin\n"),
            ("env/lib/python3/site-packages/a.py", ""),
            ("pkg/__pycache__/m.pyc", ""),
            (
                "target/CACHEDIR.TAG",
                "Signature: 8a477f597d28d172789f06886806bc55\n",
            ),
            ("target/debug/out", ""),
            ("pkg/m.py", ""),
        ]);
        // The root, lib and pkg.
        assert_eq!(count_directories(dir.path()), 3);
        let rules = IgnoreRules::new(dir.path());
        assert!(rules.is_ignored(Path::new("node_modules/left-pad/index.js"), false));
        assert!(rules.is_ignored(Path::new("env"), true));
        assert!(!rules.is_ignored(Path::new("pkg/m.py"), false));
        assert!(
            !rules.is_ignored(Path::new("node_modules"), false),
            "a file so named"
        );
    }

    #[test]
    fn an_ignore_file_can_bring_a_generated_tree_back() {
        let dir = tree(&[(".ignore", "!node_modules/\n"), ("node_modules/a/b.js", "")]);
        let rules = IgnoreRules::new(dir.path());
        assert!(!rules.is_ignored(Path::new("node_modules/a/b.js"), false));
    }
}
