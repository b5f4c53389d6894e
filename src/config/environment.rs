//! The environment a step's process gets: the engine's own, then the project settings' `env`,
//! the workflow's `env`, the skill's `env` (the most specific wins, as a step's `env` wins over
//! a job's in GitHub Actions and a task's over the file's in Taskfile), then the variables
//! Bosun sets (`BOSUN_TASK_ID`, …), which nothing overrides: recovery finds a dead engine's
//! processes by them. `path` entries (the workflow's, then the project's) go in front of
//! `PATH`, whichever layer set it, so a project says once where its tools are
//! (`.venv/bin`, `node_modules/.bin`).
//!
//! Names and entries are checked as they are read, so a bad one is reported at its file, line
//! and column like any other error in a definition.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// The variables Bosun sets for every step; no `env` may set them.
pub const RESERVED: [&str; 4] = [
    "BOSUN_TASK_ID",
    "BOSUN_RUN_ID",
    "BOSUN_STEP_ID",
    "BOSUN_PROJECT",
];

/// The `path` in force when no settings layer names one: a project's virtualenv and its npm
/// tools, each only while it exists (what `source .venv/bin/activate` and `npm run` do).
pub const DEFAULT_PATH: [&str; 2] = [".venv/bin", "node_modules/.bin"];

/// An environment variable's name, checked as it is read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EnvName(pub String);

/// Why `name` cannot be set by an `env`, if it cannot.
pub fn env_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("an environment variable needs a name".into());
    }
    if name.contains(['=', '\0']) || name.chars().any(char::is_whitespace) {
        return Some(format!(
            "`{name}` is not an environment variable name (no `=`, spaces or NUL)"
        ));
    }
    if RESERVED.contains(&name) {
        return Some(format!(
            "`{name}` is set by Bosun for every step and cannot be set in `env`"
        ));
    }
    None
}

impl<'de> Deserialize<'de> for EnvName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match env_name_problem(&name) {
            Some(problem) => Err(de::Error::custom(problem)),
            None => Ok(EnvName(name)),
        }
    }
}

/// A directory put in front of `PATH`, relative to the project root (or absolute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PathEntry(pub String);

impl<'de> Deserialize<'de> for PathEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entry = String::deserialize(deserializer)?;
        if entry.trim().is_empty() {
            return Err(de::Error::custom("a `path` entry cannot be empty"));
        }
        if entry.contains([':', '\0']) {
            return Err(de::Error::custom(format!(
                "`path` entry `{entry}` holds `:`: give one directory per entry"
            )));
        }
        Ok(PathEntry(entry))
    }
}

impl fmt::Display for PathEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An `env` value: a string, or a number or boolean written bare (`CI: true`), kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EnvValue(pub String);

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Scalar;

        impl de::Visitor<'_> for Scalar {
            type Value = EnvValue;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvValue, E> {
                if v.contains('\0') {
                    return Err(E::custom("an environment value cannot hold NUL"));
                }
                Ok(EnvValue(v.to_string()))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }
        }

        deserializer.deserialize_any(Scalar)
    }
}

/// The layers of one step's environment, least specific first.
#[derive(Debug, Default)]
pub struct StepEnv<'a> {
    /// The engine's `PATH` (what a step gets when nothing sets one).
    pub inherited_path: Option<String>,
    /// `env` maps, least specific first: the project's, the workflow's, the skill's.
    pub layers: Vec<&'a BTreeMap<String, String>>,
    /// `path` lists, the one searched first first: the workflow's, then the project's.
    pub prefixes: Vec<&'a [PathEntry]>,
}

impl StepEnv<'_> {
    /// The variables to set, `PATH` with its prefixes included. A prefix that does not exist
    /// (yet: an install step may create it) is left out, and so is a repeated one.
    pub fn resolve(&self, root: &Path) -> Vec<(String, String)> {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        for layer in &self.layers {
            vars.extend(layer.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let mut dirs: Vec<String> = Vec::new();
        for entry in self.prefixes.iter().flat_map(|p| p.iter()) {
            let dir = root.join(&entry.0);
            let dir = dir.to_string_lossy().into_owned();
            if Path::new(&dir).is_dir() && !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        if !dirs.is_empty() {
            let base = vars.remove("PATH").or_else(|| self.inherited_path.clone());
            dirs.extend(base.filter(|b| !b.is_empty()));
            vars.insert("PATH".into(), dirs.join(":"));
        }
        vars.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn entries(list: &[&str]) -> Vec<PathEntry> {
        list.iter().map(|e| PathEntry(e.to_string())).collect()
    }

    #[test]
    fn the_most_specific_layer_wins_and_prefixes_go_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join(".venv/bin")).expect("mkdir");
        std::fs::create_dir_all(root.join("tools")).expect("mkdir");
        let project = map(&[("A", "project"), ("B", "project")]);
        let workflow = map(&[("B", "workflow"), ("C", "workflow")]);
        let skill = map(&[("C", "skill")]);
        let wf_path = entries(&["tools"]);
        let project_path = entries(&DEFAULT_PATH);
        let env = StepEnv {
            inherited_path: Some("/usr/bin:/bin".into()),
            layers: vec![&project, &workflow, &skill],
            prefixes: vec![&wf_path, &project_path],
        }
        .resolve(root);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("A"), Some("project"));
        assert_eq!(get("B"), Some("workflow"));
        assert_eq!(get("C"), Some("skill"));
        let want = format!(
            "{}:{}:/usr/bin:/bin",
            root.join("tools").display(),
            root.join(".venv/bin").display()
        );
        assert_eq!(
            get("PATH"),
            Some(want.as_str()),
            "node_modules/.bin is absent"
        );
    }

    #[test]
    fn an_explicit_path_is_the_base_and_no_existing_prefix_leaves_path_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("bin")).expect("mkdir");
        let skill = map(&[("PATH", "/opt/x")]);
        let prefix = entries(&["bin"]);
        let env = StepEnv {
            inherited_path: Some("/usr/bin".into()),
            layers: vec![&skill],
            prefixes: vec![&prefix],
        }
        .resolve(dir.path());
        let want = format!("{}:/opt/x", dir.path().join("bin").display());
        assert_eq!(env, vec![("PATH".to_string(), want)]);
        let missing = entries(&["nope"]);
        let env = StepEnv {
            inherited_path: Some("/usr/bin".into()),
            layers: vec![],
            prefixes: vec![&missing],
        }
        .resolve(dir.path());
        assert!(env.is_empty(), "{env:?}");
    }

    #[test]
    fn bad_names_and_entries_are_refused() {
        assert!(env_name_problem("CI").is_none());
        assert!(env_name_problem("A=B").is_some());
        assert!(env_name_problem("").is_some());
        assert!(env_name_problem("BOSUN_RUN_ID").is_some_and(|p| p.contains("set by Bosun")));
        let err = serde_saphyr::from_str::<Vec<PathEntry>>("[\"a:b\"]").expect_err("colon");
        assert!(err.to_string().contains("one directory per entry"), "{err}");
    }
}
