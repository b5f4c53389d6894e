//! Where a path argument points: made absolute against the working directory, with `..` and
//! symlinks resolved component by component (so a link inside the project that points outside
//! is followed, and `/proj/link/..` is the parent of the link's target, as the kernel sees it).
//!
//! Invariant: a path whose value is unknown is never given a resolved place; at most the known
//! directory it lies under (its *location*), for judging where it could be.

use std::path::{Path, PathBuf};

use super::expand::{Field, UNKNOWN};

/// Symlinks are followed at most this deep (a loop of links stops here).
const MAX_LINKS: usize = 16;

/// A link an earlier command in the same script creates: `(link, target)`, both resolved.
pub(super) type Links = [(PathBuf, PathBuf)];

/// Where a field points.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Resolution {
    /// The resolved path, when the whole value is known.
    pub path: Option<PathBuf>,
    /// For an unknown value: `dir/*` for the known directory it lies under.
    pub location: Option<PathBuf>,
}

/// Resolves the directory entry `field` names without following a symlink in its last part:
/// `rm link` removes the link, not what it points to (`rm link/` and `rm link/.` do follow it).
pub(super) fn resolve_entry(field: &Field, cwd: Option<&Path>, links: &Links) -> Resolution {
    let Some(value) = field.value() else {
        return resolve(field, cwd, links);
    };
    let (dir, name) = match value.rsplit_once('/') {
        Some((dir, name)) => (if dir.is_empty() { "/" } else { dir }, name),
        None => (".", value),
    };
    if matches!(name, "" | "." | "..") {
        return resolve(field, cwd, links);
    }
    Resolution {
        path: walk(dir, cwd, links, 0).map(|parent| parent.join(name)),
        location: None,
    }
}

/// Resolves `field` against `cwd` (`None`: the working directory is not known).
pub(super) fn resolve(field: &Field, cwd: Option<&Path>, links: &Links) -> Resolution {
    if let Some(value) = field.value() {
        return Resolution {
            path: walk(value, cwd, links, 0),
            location: None,
        };
    }
    let known = field.pattern.split(UNKNOWN).next().unwrap_or("");
    let dir = &known[..known.rfind('/').map_or(0, |i| i + 1)];
    let location = if dir.is_empty() {
        None
    } else {
        walk(dir, cwd, links, 0).map(|d| d.join("*"))
    };
    Resolution {
        path: None,
        location,
    }
}

/// Makes `path` absolute and resolves it; `None` when it is relative and `cwd` is unknown.
pub(super) fn walk(path: &str, cwd: Option<&Path>, links: &Links, depth: usize) -> Option<PathBuf> {
    let mut cur = if path.starts_with('/') {
        PathBuf::from("/")
    } else {
        cwd?.to_path_buf()
    };
    // How many trailing components of `cur` do not exist (so cannot be links).
    let mut missing = 0usize;
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                cur.pop();
                missing = missing.saturating_sub(1);
            }
            name => {
                cur.push(name);
                if let Some((_, target)) = links.iter().find(|(link, _)| *link == cur) {
                    cur = target.clone();
                    missing = 0;
                } else if missing > 0 {
                    missing += 1;
                } else {
                    match real(&cur, links, depth) {
                        Some(real) => cur = real,
                        None => missing = 1,
                    }
                }
            }
        }
    }
    Some(cur)
}

/// The real location of an absolute path that may be a symlink, even a dangling one.
fn real(path: &Path, links: &Links, depth: usize) -> Option<PathBuf> {
    if let Ok(real) = std::fs::canonicalize(path) {
        return Some(real);
    }
    if depth >= MAX_LINKS || !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
        return None;
    }
    let target = std::fs::read_link(path).ok()?;
    let parent = path.parent().unwrap_or(Path::new("/"));
    walk(&target.to_string_lossy(), Some(parent), links, depth + 1)
}

/// The canonical form of a directory when it exists, else the path as given.
pub(super) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// True for `scheme://…`.
pub(super) fn is_url(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    })
}

/// True for `host:path`, `user@host:path` or `host::module` (scp and rsync remotes).
pub(super) fn is_remote(s: &str) -> bool {
    if is_url(s) {
        return true;
    }
    match s.split_once(':') {
        Some((host, _)) => !host.is_empty() && !host.contains('/') && !host.starts_with('-'),
        None => false,
    }
}

/// True when an argument of an unknown command reads as a path.
pub(super) fn looks_like_path(s: &str) -> bool {
    if s.is_empty() || is_url(s) {
        return false;
    }
    s == "."
        || s == ".."
        || s.starts_with('/')
        || s.starts_with('~')
        || s.starts_with("./")
        || s.starts_with("../")
        || s.contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_and_missing_components() {
        let cwd = Path::new("/");
        assert_eq!(
            walk("nonexistent-a/../b", Some(cwd), &[], 0),
            Some(PathBuf::from("/b"))
        );
        assert_eq!(
            walk("../../..", Some(cwd), &[], 0),
            Some(PathBuf::from("/"))
        );
        assert_eq!(walk("x", None, &[], 0), None);
    }

    #[test]
    fn links_made_earlier_are_followed() {
        let links = vec![(PathBuf::from("/nope/link"), PathBuf::from("/etc"))];
        assert_eq!(
            walk("/nope/link/passwd", None, &links, 0),
            Some(canonical(Path::new("/etc")).join("passwd"))
        );
    }

    #[test]
    fn urls_and_remotes_are_not_local() {
        assert!(is_url("https://x.sh"));
        assert!(is_remote("user@host:/tmp/x"));
        assert!(is_remote("host:x"));
        assert!(!is_remote("./a:b"));
        assert!(!looks_like_path("https://a/b"));
        assert!(looks_like_path("src/main.rs"));
        assert!(!looks_like_path("main"));
    }
}
