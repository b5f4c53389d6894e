//! Names in Redis. Everything a project puts there lives under `bosun:<name>-<hash>:`, where
//! `<name>` is the project directory's name (for people reading `redis-cli` output) and `<hash>`
//! comes from its canonical path (so two checkouts called `app` never share keys). Many projects
//! and test runs can share one server.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::protocol::TaskId;

/// The key prefix and channel of one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// The namespace of the project at `root` (canonicalized when it exists).
    pub fn for_project(root: &Path) -> Keys {
        let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
        let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let name: String = canonical
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        Keys {
            prefix: format!("bosun:{name}-{hash}:"),
        }
    }

    /// `bosun:<name>-<hash>:`, with the colon.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The pub/sub channel events are published on.
    pub fn events(&self) -> String {
        format!("{}events", self.prefix)
    }

    /// The cached first-frame snapshot with `recent` events, for the UTC day `day` (its counts
    /// are per day).
    pub fn snapshot(&self, recent: i64, day: &str) -> String {
        format!("{}snapshot:{recent}:{day}", self.prefix)
    }

    /// The cached view of one task.
    pub fn task(&self, id: &TaskId) -> String {
        format!("{}task:{id}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_with_the_same_name_get_different_namespaces() {
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(a.path().join("app")).expect("mkdir");
        std::fs::create_dir(b.path().join("app")).expect("mkdir");
        let ka = Keys::for_project(&a.path().join("app"));
        let kb = Keys::for_project(&b.path().join("app"));
        assert_ne!(ka, kb);
        assert!(ka.prefix().starts_with("bosun:app-"), "{}", ka.prefix());
        assert_eq!(ka, Keys::for_project(&a.path().join("app/../app")));
        assert!(ka.events().starts_with(ka.prefix()));
    }
}
