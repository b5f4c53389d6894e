//! The path boundary and the floor's rules for one resolved path: is it inside the project or
//! a root that allows this access, and if not (or if it is a place never written), which
//! finding says so.
//!
//! Order matters and gives one finding per path: a disk device, then a protected place, then
//! deleting something that contains the project or the home (or every file at the project's
//! root: `rm -rf *`, `find . -delete`), then the plain boundary, then the places inside the
//! tree that are Bosun's or the agents' own (`guard`).

use std::path::{Path, PathBuf};

use super::floor;
use super::guard::Guard;
use super::paths::canonical;
use super::{Access, Guarded, Scope, Severity};

/// A finding about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Verdict {
    pub severity: Severity,
    pub id: &'static str,
    pub reason: String,
    /// The place only a rule naming it may open (`Finding::guarded`).
    pub guarded: Option<Guarded>,
}

/// The scope's roots, canonical, ready to judge paths against.
#[derive(Debug, Clone)]
pub(super) struct Judge {
    project: PathBuf,
    write: Vec<PathBuf>,
    read: Vec<PathBuf>,
    /// The home as given and canonical (they differ when it is reached through a link).
    homes: Vec<PathBuf>,
    guard: Guard,
}

impl Judge {
    pub fn new(scope: &Scope) -> Judge {
        let mut homes = Vec::new();
        if let Some(home) = &scope.home {
            homes.push(home.clone());
            let real = canonical(home);
            if real != *home {
                homes.push(real);
            }
        }
        let project = canonical(&scope.project);
        Judge {
            guard: Guard::new(&project, homes.last().map(PathBuf::as_path)),
            project,
            write: scope.write_roots.iter().map(|p| canonical(p)).collect(),
            read: scope.read_roots.iter().map(|p| canonical(p)).collect(),
            homes,
        }
    }

    pub fn project(&self) -> &Path {
        &self.project
    }

    /// Inside the project or a root that allows `access`.
    pub fn inside(&self, path: &Path, access: Access) -> bool {
        path.starts_with(&self.project)
            || self.write.iter().any(|r| path.starts_with(r))
            || (access == Access::Read && self.read.iter().any(|r| path.starts_with(r)))
    }

    /// What is wrong with `access` to `path` (by the command `raw`, quoted whole), if anything.
    pub fn check(&self, path: &Path, access: Access, raw: &str) -> Option<Verdict> {
        let shown = path.display();
        if access == Access::Read {
            // A public key is meant to be shown (`ssh-keygen -lf ~/.ssh/id_ed25519.pub`).
            let public = path.extension().is_some_and(|e| e == "pub");
            if let Some(place) = floor::home_protected(path, &self.homes)
                && !public
            {
                let place = place.display();
                return Some(escalate(
                    "secrets.read",
                    format!("`{raw}` reads `{shown}` under `{place}`, which holds credentials."),
                ));
            }
            if floor::secret_name(path) {
                let place = match path.starts_with(&self.project) {
                    true => "in the project",
                    false => "outside the project",
                };
                return Some(escalate(
                    "secrets.read",
                    format!("`{raw}` reads `{shown}`, a key or secrets file {place}."),
                ));
            }
            let at_home = self.homes.iter().any(|h| path.starts_with(h));
            if !self.inside(path, access) && (at_home || !floor::world_readable_system(path)) {
                return Some(escalate(
                    "boundary.read-outside",
                    format!("`{raw}` reads `{shown}`, outside the project and its roots."),
                ));
            }
            return None;
        }
        if floor::disk_device(path) {
            return Some(deny(
                "floor.destroy-disk",
                format!("`{raw}` writes the disk device `{shown}`, destroying its data."),
            ));
        }
        if let Some(place) = self.protected(path) {
            let place = place.display();
            return Some(deny(
                "floor.protected-write",
                format!("`{raw}` changes `{shown}` under `{place}`, which is never written."),
            ));
        }
        if access == Access::Delete {
            let whole = if path == Path::new("/") {
                Some("the whole file system")
            } else if self.homes.iter().any(|h| h.starts_with(path)) {
                Some("the home directory")
            } else if self.project.starts_with(path) {
                Some("the whole project")
            } else if path.parent() == Some(self.project.as_path())
                && path
                    .file_name()
                    .is_some_and(|n| super::find::everything(&n.to_string_lossy()))
            {
                Some("every file of the project")
            } else {
                None
            };
            if let Some(what) = whole {
                return Some(deny(
                    "floor.delete-outside",
                    format!("`{raw}` deletes `{shown}`, which is {what}."),
                ));
            }
            if !self.inside(path, access) {
                return Some(deny(
                    "floor.delete-outside",
                    format!(
                        "`{raw}` deletes `{shown}`, outside the project and its roots{}",
                        lift(path, "extra_roots", "delete there")
                    ),
                ));
            }
            return self.guard.check(path, access, raw);
        }
        if !self.inside(path, access) {
            return Some(deny(
                "boundary.write-outside",
                format!(
                    "`{raw}` writes `{shown}`, outside the project and its roots{}",
                    lift(path, "extra_roots", "write there")
                ),
            ));
        }
        self.guard.check(path, access, raw)
    }

    /// The protected place `path` lies under, unless the project itself lives there and the
    /// path is inside the project (a repository of `/etc` files is still a project).
    fn protected(&self, path: &Path) -> Option<PathBuf> {
        let place =
            floor::home_protected(path, &self.homes).or_else(|| floor::system_protected(path))?;
        let carved = self.project.starts_with(&place) && path.starts_with(&self.project);
        (!carved).then_some(place)
    }
}

/// The end of a reason a setting could lift: which setting, with the directory to add (the
/// path's parent, as a root is a directory), so the user need not look it up.
fn lift(path: &Path, setting: &str, to: &str) -> String {
    let dir = path
        .parent()
        .filter(|p| *p != Path::new("/"))
        .unwrap_or(path);
    format!(
        "; to let skills {to}, add `{}` to `{setting}` in `.bosun/policy.yaml`.",
        dir.display()
    )
}

pub(super) fn deny(id: &'static str, reason: String) -> Verdict {
    Verdict {
        severity: Severity::Deny,
        id,
        reason,
        guarded: None,
    }
}

pub(super) fn escalate(id: &'static str, reason: String) -> Verdict {
    Verdict {
        severity: Severity::Escalate,
        id,
        reason,
        guarded: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn judge() -> Judge {
        Judge::new(&Scope {
            cwd: "/w/proj".into(),
            project: "/w/proj".into(),
            write_roots: vec!["/w/out".into()],
            read_roots: vec!["/w/ref".into()],
            home: Some("/w/home".into()),
            env: BTreeMap::new(),
        })
    }

    fn id(path: &str, access: Access) -> Option<&'static str> {
        judge().check(Path::new(path), access, path).map(|v| v.id)
    }

    #[test]
    fn roots_allow_what_they_say() {
        assert_eq!(id("/w/proj/src", Access::Write), None);
        assert_eq!(id("/w/out/x", Access::Delete), None);
        assert_eq!(id("/w/ref/x", Access::Read), None);
        assert_eq!(
            id("/w/ref/x", Access::Write),
            Some("boundary.write-outside")
        );
        assert_eq!(id("/w/other", Access::Read), Some("boundary.read-outside"));
    }

    #[test]
    fn floor_cases() {
        assert_eq!(id("/w/proj", Access::Delete), Some("floor.delete-outside"));
        assert_eq!(id("/w", Access::Delete), Some("floor.delete-outside"));
        assert_eq!(id("/w/home", Access::Delete), Some("floor.delete-outside"));
        assert_eq!(id("/etc/x", Access::Write), Some("floor.protected-write"));
        assert_eq!(
            id("/w/home/.ssh/k", Access::Write),
            Some("floor.protected-write")
        );
        assert_eq!(id("/w/home/.ssh/k", Access::Read), Some("secrets.read"));
        assert_eq!(id("/w/x/id_rsa", Access::Read), Some("secrets.read"));
        assert_eq!(id("/dev/sda", Access::Write), Some("floor.destroy-disk"));
    }

    /// A denial that a root in `.bosun/policy.yaml` would lift says which setting, and what to
    /// add; one no setting lifts (the floor's protected places) does not offer one. A read
    /// outside only asks, and is not told to widen the roots (`/etc/shadow` would say `/etc`).
    #[test]
    fn a_denial_a_setting_could_lift_names_it() {
        let reason = |path: &str, access| {
            judge()
                .check(Path::new(path), access, "tee /w/tmp/x")
                .map(|v| v.reason)
                .unwrap_or_default()
        };
        let write = reason("/w/tmp/x", Access::Write);
        assert!(
            write.starts_with("`tee /w/tmp/x` writes `/w/tmp/x`"),
            "{write}"
        );
        assert!(
            write.contains("add `/w/tmp` to `extra_roots` in `.bosun/policy.yaml`"),
            "{write}"
        );
        let delete = reason("/w/tmp/x", Access::Delete);
        assert!(delete.contains("`extra_roots`"), "{delete}");
        assert!(!reason("/etc/x", Access::Write).contains("_roots"));
        assert!(!reason("/w/proj", Access::Delete).contains("_roots"));
    }
}
