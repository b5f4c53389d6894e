//! The watch triggers of the known workflows, compiled: which of them a changed path matches.
//! Globs are relative to the project root; `*` stays within a directory, `**` crosses them.

use std::path::Path;
use std::time::Duration;

use globset::{GlobSet, GlobSetBuilder};

use crate::definitions::workflow::{OnBusy, Workflow, compile_glob};

/// Quiet time before a triggered task starts, unless the trigger sets its own.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(500);

/// One trigger of one workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerSpec {
    pub workflow: String,
    /// Its place among the workflow's triggers.
    pub index: usize,
    pub globs: Vec<String>,
    pub debounce: Duration,
    pub on_busy: OnBusy,
}

impl TriggerSpec {
    /// `ci#0 (src/**/*.rs, Cargo.toml)`.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.workflow, self.globs.join(", "))
    }
}

/// Every trigger of a set of workflows, ready to match paths.
#[derive(Debug, Default)]
pub struct TriggerSet {
    specs: Vec<TriggerSpec>,
    sets: Vec<GlobSet>,
}

impl TriggerSet {
    /// The triggers of `workflows`; a glob that does not compile is left out (parsing the
    /// workflow reports it with its position).
    pub fn new<'a>(workflows: impl IntoIterator<Item = &'a Workflow>) -> TriggerSet {
        let mut set = TriggerSet::default();
        for workflow in workflows {
            for (index, trigger) in workflow.triggers.iter().enumerate() {
                let mut builder = GlobSetBuilder::new();
                for glob in &trigger.watch {
                    if let Ok(glob) = compile_glob(glob) {
                        builder.add(glob);
                    }
                }
                let Ok(globs) = builder.build() else { continue };
                set.sets.push(globs);
                set.specs.push(TriggerSpec {
                    workflow: workflow.name.clone(),
                    index,
                    globs: trigger.watch.clone(),
                    debounce: trigger.debounce.map_or(DEFAULT_DEBOUNCE, |d| d.0),
                    on_busy: trigger.on_busy,
                });
            }
        }
        set
    }

    pub fn specs(&self) -> &[TriggerSpec] {
        &self.specs
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The triggers (by index into [`Self::specs`]) that `rel` matches.
    pub fn matching(&self, rel: &Path) -> Vec<usize> {
        self.sets
            .iter()
            .enumerate()
            .filter(|(_, set)| set.is_match(rel))
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::workflow::Trigger;

    fn workflow(name: &str, globs: &[&str]) -> Workflow {
        Workflow {
            isolation: Default::default(),
            name: name.into(),
            description: String::new(),
            inputs: Default::default(),
            triggers: vec![Trigger {
                watch: globs.iter().map(|g| g.to_string()).collect(),
                debounce: None,
                on_busy: OnBusy::Queue,
            }],
            on_failure: None,
            env: Default::default(),
            path: Vec::new(),
            steps: Vec::new(),
        }
    }

    #[test]
    fn globs_match_relative_paths_with_directory_aware_stars() {
        let ci = workflow("ci", &["src/**/*.rs", "Cargo.toml"]);
        let docs = workflow("docs", &["*.md"]);
        let set = TriggerSet::new([&ci, &docs]);
        let hit = |p: &str| set.matching(Path::new(p));
        assert_eq!(hit("src/main.rs"), vec![0]);
        assert_eq!(hit("src/deep/er/mod.rs"), vec![0]);
        assert_eq!(hit("Cargo.toml"), vec![0]);
        assert_eq!(hit("README.md"), vec![1]);
        assert!(
            hit("docs/guide.md").is_empty(),
            "`*` stays in its directory"
        );
        assert!(hit("tests/it.rs").is_empty());
        assert_eq!(set.specs()[0].debounce, DEFAULT_DEBOUNCE);
    }

    #[test]
    fn a_bad_glob_says_why() {
        assert!(compile_glob("src/[").is_err());
        assert!(compile_glob("./src/*.rs").is_ok());
    }
}
