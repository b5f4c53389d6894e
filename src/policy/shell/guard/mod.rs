//! The places inside the tree that no step may change behind the policy's back: Bosun's own
//! files (`.bosun/`) and the agents' settings. A write there is inside the project, so the
//! boundary lets it through; these checks come after it.
//!
//! - `.bosun/state/` (the task store, Codex's home with its `rules/`) and `.bosun/audit.jsonl`
//!   are Bosun's alone: a write or delete that reaches them is denied (`floor.bosun-state`),
//!   and no rule lifts it. A step that writes them can only corrupt them.
//! - The rest of `.bosun/` (the policy, the settings that name the agents' commands, the
//!   workflows, the skills, the logs) is asked about (`boundary.bosun-write`): a step that
//!   writes it changes what Bosun allows or runs next.
//! - The agents' settings (Claude Code's `.claude/settings.json` and `settings.local.json`,
//!   `.mcp.json`, Codex's `.codex/`, and their counterparts in the home) are asked about
//!   (`boundary.agent-settings`). Bosun starts agents without them, but hooks, allow rules and
//!   MCP servers written there act with no policy when an agent is next run by hand.
//! - Git's hooks and repository settings (`.git/hooks/`, `.git/config`) are asked about
//!   (`boundary.git-hooks`): what they name runs inside later git commands, where the policy
//!   sees only the git command (`git commit`), a Bosun step's included.
//!
//! Only a project rule that allows the line and names the place in its `path`, spelling out
//! `.bosun`, `.claude`, `.git`, ... before any wildcard, waives the two findings that ask
//! ([`Guarded`]).
//!
//! A place is reached by a path at or under it; by a delete of a directory that holds it, or of
//! a glob that may match it or a directory above it (`rm -rf .bosun`,
//! `find . -name '*.db' -delete`); and by a write to a hard link of one of its files. Paths
//! arrive resolved (`..` and symlinks followed), so neither is a way around. A written glob is
//! judged by what it may match too, where its wildcard part begins with a dot as a shell's
//! must to match a dot-directory (`.b*/policy.yaml`; `*` matches no `.bosun`).

use std::cell::OnceCell;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::judge::{Verdict, deny, escalate};
use super::{Access, Guarded};

/// How a place is protected, strictest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Bosun's store and audit log: denied.
    Store,
    /// The rest of `.bosun/`: asked about.
    Bosun,
    /// An agent's settings: asked about.
    Settings,
    /// Git's hooks and repository settings: asked about.
    Git,
}

/// A place: its path (under the project or the home), how it is protected, what it is, and
/// why a step must not change it (the store's reason is the same for both its places).
type Entry = (&'static str, Kind, &'static str, &'static str);

const STORE: &str = "only Bosun writes it, and a step that does can only corrupt it";
const HOOKS: &str = "its hooks and allow rules run or approve commands with no policy when Claude Code is next run by hand";

/// Under the project, the most specific first within a kind.
const PROJECT: &[Entry] = &[
    (".bosun/state", Kind::Store, "Bosun's task store", STORE),
    (
        ".bosun/audit.jsonl",
        Kind::Store,
        "Bosun's audit log",
        STORE,
    ),
    (
        ".bosun/policy.yaml",
        Kind::Bosun,
        "Bosun's policy",
        "a step that changes it changes what Bosun allows",
    ),
    (
        ".bosun/config.yaml",
        Kind::Bosun,
        "Bosun's settings",
        "a step that changes them changes the commands Bosun starts agents with",
    ),
    (
        ".bosun/workflows",
        Kind::Bosun,
        "Bosun's workflows",
        "a step that changes them changes what Bosun runs next",
    ),
    (
        ".bosun/skills",
        Kind::Bosun,
        "Bosun's skills",
        "a step that changes them changes what Bosun runs next",
    ),
    (
        ".bosun",
        Kind::Bosun,
        "Bosun's own files",
        "a step that changes them changes what Bosun does next",
    ),
    (
        ".claude/settings.json",
        Kind::Settings,
        "Claude Code's project settings",
        HOOKS,
    ),
    (
        ".claude/settings.local.json",
        Kind::Settings,
        "Claude Code's local project settings",
        HOOKS,
    ),
    (
        ".mcp.json",
        Kind::Settings,
        "the project's MCP servers",
        "a server listed there is started with no policy when Claude Code is next run by hand",
    ),
    (
        ".codex",
        Kind::Settings,
        "Codex's project settings",
        "its rules and approval settings decide for Codex with no policy when it is next run by hand",
    ),
    (
        ".git/hooks",
        Kind::Git,
        "git's hooks",
        "git runs them on the next commit, merge or checkout, a Bosun step's too, with no policy",
    ),
    (
        ".git/config",
        Kind::Git,
        "git's repository settings",
        "the commands they name (hooks path, filters, fsmonitor, aliases) run on later git commands with no policy",
    ),
];

/// Under the home (reached only when a root of the policy lets steps write there).
const HOME: &[Entry] = &[
    (
        ".claude/settings.json",
        Kind::Settings,
        "Claude Code's user settings",
        HOOKS,
    ),
    (
        ".claude.json",
        Kind::Settings,
        "Claude Code's user state",
        "its MCP servers and trusted projects apply with no policy when Claude Code is next run",
    ),
    (
        ".codex",
        Kind::Settings,
        "Codex's user home",
        "its rules and settings decide for Codex with no policy when it is next run",
    ),
];

/// Entries under a directory place that a glob is tested against: this deep, this many a place.
/// Deep enough for Codex's home (`state/agents/codex-home/sessions/Y/M/D/…`).
const WALK_DEPTH: usize = 7;
const WALK_LIMIT: usize = 1000;

#[derive(Debug, Clone)]
struct Place {
    /// Canonical when it exists.
    path: PathBuf,
    kind: Kind,
    what: &'static str,
    why: &'static str,
    /// What a rule sees (relative to the project when inside it) and must name: the first
    /// component (`.bosun`), or the whole place in the home.
    root: String,
}

/// The guarded places of one scope, found on first use (most commands write nothing).
#[derive(Debug, Clone)]
pub(super) struct Guard {
    project: PathBuf,
    home: Option<PathBuf>,
    places: OnceCell<Vec<Place>>,
    /// Whether a top entry of the project's places is a symlink (`.bosun` kept elsewhere):
    /// then a path anywhere may be one of them.
    linked_top: OnceCell<bool>,
    /// The places that exist and what lies under them, for globs and hard links (a glob takes
    /// only what exists): (path, index in `places`).
    entries: OnceCell<Vec<(PathBuf, usize)>>,
}

impl Guard {
    pub fn new(project: &Path, home: Option<&Path>) -> Guard {
        Guard {
            project: project.to_path_buf(),
            home: home.map(Path::to_path_buf),
            places: OnceCell::new(),
            linked_top: OnceCell::new(),
            entries: OnceCell::new(),
        }
    }

    fn places(&self) -> &[Place] {
        self.places.get_or_init(|| {
            let canonical = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
            let project = PROJECT.iter().map(|(rel, kind, what, why)| Place {
                path: canonical(self.project.join(rel)),
                kind: *kind,
                what,
                why,
                root: rel.split('/').next().unwrap_or(rel).to_string(),
            });
            let home = self.home.iter().flat_map(|home| {
                HOME.iter().map(move |(rel, kind, what, why)| {
                    let place = home.join(rel);
                    Place {
                        path: canonical(place.clone()),
                        kind: *kind,
                        what,
                        why,
                        root: place.display().to_string(),
                    }
                })
            });
            project.chain(home).collect()
        })
    }

    fn entries(&self) -> &[(PathBuf, usize)] {
        self.entries.get_or_init(|| {
            let places = self.places();
            let mut out = Vec::new();
            for (i, place) in places.iter().enumerate() {
                if std::fs::symlink_metadata(&place.path).is_err() {
                    continue;
                }
                out.push((place.path.clone(), i));
                // A place inside another (`.bosun/state` in `.bosun`) is walked as itself.
                let inner = |p: &Path| places.iter().any(|o| o.path == p);
                let mut left = WALK_LIMIT;
                walk(&place.path, WALK_DEPTH, &inner, &mut |p| {
                    out.push((p, i));
                    left -= 1;
                    left > 0
                });
            }
            out
        })
    }

    /// What `access` to `path` (by the command `raw`) does to a guarded place, if anything.
    pub fn check(&self, path: &Path, access: Access, raw: &str) -> Option<Verdict> {
        let near = match access {
            Access::Read => false,
            Access::Delete => self.near(path, access),
            Access::Write => self.near(path, access) || linked(path).is_some(),
        };
        if !near {
            return None;
        }
        let (index, reached, how) = self.reach(path, access)?;
        let place = &self.places()[index];
        let shown = path.display();
        let verb = match access {
            Access::Delete => "deletes",
            _ => "writes",
        };
        let what = match how {
            How::Under => format!("`{raw}` {verb} `{shown}`, {}", place.what),
            How::Holds => format!("`{raw}` {verb} `{shown}`, which holds {}", place.what),
            How::May => format!(
                "`{raw}` {verb} `{shown}`, which may take `{}`, {}",
                reached.display(),
                place.what
            ),
            How::Link => format!(
                "`{raw}` {verb} `{shown}`, a hard link to `{}`, {}",
                reached.display(),
                place.what
            ),
        };
        let why = place.why;
        let id = match place.kind {
            Kind::Store => return Some(deny("floor.bosun-state", format!("{what}: {why}."))),
            Kind::Bosun => "boundary.bosun-write",
            Kind::Settings => "boundary.agent-settings",
            Kind::Git => "boundary.git-hooks",
        };
        let text = self.rule_text(&reached);
        // Only a direct write can be allowed by naming its path; a glob or a link is asked.
        let hint = match how {
            How::Under | How::Holds => format!(
                " To let steps do it without asking, allow it by a rule of yours with `path: \"{text}\"`."
            ),
            How::May | How::Link => String::new(),
        };
        let mut verdict = escalate(id, format!("{what}: {why}.{hint}"));
        verdict.guarded = Some(Guarded {
            path: text,
            root: place.root.clone(),
        });
        Some(verdict)
    }

    /// A path as rules see it: relative to the project when inside it.
    fn rule_text(&self, path: &Path) -> String {
        match path.strip_prefix(&self.project) {
            Ok(rel) => rel.display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }

    /// Whether `access` to `path` may reach a place, told without the disk in the common
    /// case: a path in the project under none of the places' top entries, with no wildcard,
    /// reaches none (nor does a write to the project's own directory: `black .`).
    fn near(&self, path: &Path, access: Access) -> bool {
        let Ok(rel) = path.strip_prefix(&self.project) else {
            return true;
        };
        let text = rel.to_string_lossy();
        let top = text.split('/').next().unwrap_or("");
        // The table lists each place's top entry together, so a change of top is a new one.
        let tops = || {
            PROJECT
                .iter()
                .filter_map(|(place, ..)| place.split('/').next())
                .scan("", |last, top| {
                    let new = top != *last;
                    *last = top;
                    Some(new.then_some(top))
                })
                .flatten()
        };
        (top.is_empty() && access == Access::Delete)
            || text.contains(['*', '?', '['])
            || tops().any(|t| t == top)
            || *self.linked_top.get_or_init(|| {
                tops().any(|t| {
                    std::fs::symlink_metadata(self.project.join(t))
                        .is_ok_and(|m| m.file_type().is_symlink())
                })
            })
    }

    /// The strictest place `access` to `path` reaches: its index, the guarded path, and how.
    fn reach(&self, path: &Path, access: Access) -> Option<(usize, PathBuf, How)> {
        let places = self.places();
        let mut found: Vec<(usize, PathBuf, How)> = Vec::new();
        for (i, place) in places.iter().enumerate() {
            if path.starts_with(&place.path) {
                found.push((i, path.to_path_buf(), How::Under));
            } else if access == Access::Delete
                && place.path.starts_with(path)
                // Deleting `.git` as a whole is about its history (a built-in rule's), not
                // about code git would run.
                && place.kind != Kind::Git
            {
                found.push((i, place.path.clone(), How::Holds));
            }
        }
        match access {
            Access::Delete => found.extend(self.glob_reach(path)),
            Access::Write => {
                found.extend(self.hard_link(path));
                // `sed -i … .bosu?/policy.yaml`, `cp x .b*/state/bosun.db`: a shell's
                // wildcard matches a dot-directory when its part begins with the dot.
                if dotted_glob(path) {
                    found.extend(self.glob_reach(path));
                }
            }
            Access::Read => {}
        }
        found.into_iter().min_by_key(|(i, _, _)| places[*i].kind)
    }

    /// The entries a deleted glob may match, itself or through a directory above them.
    fn glob_reach(&self, path: &Path) -> Vec<(usize, PathBuf, How)> {
        let text = path.display().to_string();
        if !text.contains(['*', '?', '[']) {
            return Vec::new();
        }
        let literal = &text[..text.find(['*', '?', '[']).unwrap_or(text.len())];
        let base = Path::new(&literal[..literal.rfind('/').map_or(0, |i| i + 1)]);
        let escaped = text.replace('{', "\\{").replace('}', "\\}");
        let Ok(glob) = globset::GlobBuilder::new(&escaped)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map(|g| g.compile_matcher())
        else {
            return Vec::new();
        };
        self.entries()
            .iter()
            .filter(|(entry, _)| entry.starts_with(base))
            .filter(|(entry, _)| {
                entry
                    .ancestors()
                    .take_while(|a| a.starts_with(base) && *a != base)
                    .any(|a| glob.is_match(a))
            })
            .map(|(entry, i)| (*i, entry.clone(), How::May))
            .collect()
    }

    /// The guarded files `path` is another name of (a hard link made earlier).
    fn hard_link(&self, path: &Path) -> Vec<(usize, PathBuf, How)> {
        let Some(meta) = linked(path) else {
            return Vec::new();
        };
        let same = |p: &Path| {
            std::fs::metadata(p).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
        };
        self.entries()
            .iter()
            .filter(|(entry, _)| same(entry))
            .map(|(entry, i)| (*i, entry.clone(), How::Link))
            .collect()
    }
}

/// Whether a part of `path` is a wildcard pattern that begins with a dot, the only kind a
/// shell lets match a dot-directory (`.b*`, `.[b]osun`; not `*` or `[.]bosun`).
fn dotted_glob(path: &Path) -> bool {
    path.components().any(|c| {
        let part = c.as_os_str().to_string_lossy();
        part.starts_with('.') && part.contains(['*', '?', '['])
    })
}

/// How a path reaches a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// It is the place or under it.
    Under,
    /// A deleted directory holds the place.
    Holds,
    /// A deleted glob may match it.
    May,
    /// It is a hard link to one of its files.
    Link,
}

/// The file at `path` when it has more than one name (a hard link to it was made).
fn linked(path: &Path) -> Option<std::fs::Metadata> {
    std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file() && m.nlink() > 1)
}

/// Calls `each` on what lies under `dir`, `depth` levels deep and not under a `skip`ped
/// directory, until it returns false.
fn walk(
    dir: &Path,
    depth: usize,
    skip: &dyn Fn(&Path) -> bool,
    each: &mut dyn FnMut(PathBuf) -> bool,
) -> bool {
    if depth == 0 {
        return true;
    }
    let Ok(read) = std::fs::read_dir(dir) else {
        return true;
    };
    for entry in read.flatten() {
        let path = entry.path();
        if skip(&path) {
            continue;
        }
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !each(path.clone()) || (is_dir && !walk(&path, depth - 1, skip, each)) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests;
