//! The last good plan of every workflow, for the watcher: re-read when a definition changes. A
//! workflow (or a skill it uses) whose new version does not validate keeps its last good plan —
//! its triggers keep working on it — and the error is reported with its position.
//!
//! Only the project's own workflows (`.bosun/workflows/`) start by themselves: the triggers of
//! bundled workflows are examples, turned on by copying the file into the project.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::ProjectPaths;
use crate::definitions::catalog::Source;
use crate::definitions::inputs::resolve_inputs;
use crate::definitions::skills::load_skills;
use crate::definitions::workflow::{CHANGED_FILES, Plan, Programs, load_workflows, make_plan};
use crate::protocol::{Priority, SubmitRequest, TaskId};
use crate::store::NewTask;
use crate::watch::TriggerSet;

/// What a reload found wrong, by project file (a file absent from it is fine).
pub type Problems = BTreeMap<PathBuf, String>;

/// The plans the triggers run.
#[derive(Debug, Default)]
pub struct LastGood {
    plans: BTreeMap<String, Plan>,
    /// The workflows defined by the project (whose triggers are live).
    project: std::collections::BTreeSet<String>,
}

impl LastGood {
    /// Reads every workflow again; keeps the previous plan of one that no longer validates.
    /// Returns the problems of the project's files.
    pub fn reload(&mut self, paths: &ProjectPaths) -> Problems {
        let workflows = load_workflows(paths);
        let skills = load_skills(paths);
        let mut problems = Problems::new();
        let mut plans = BTreeMap::new();
        self.project = workflows
            .entries
            .values()
            .filter(|e| matches!(e.source, Source::Project(_)))
            .map(|e| e.name.clone())
            .collect();
        for entry in workflows.entries.values() {
            let request = SubmitRequest {
                description: entry.name.clone(),
                workflow: Some(entry.name.clone()),
                inputs: BTreeMap::new(),
                priority: Priority::Normal,
                isolation: None,
                base: None,
            };
            // The workflow is named: nothing is looked up on PATH.
            match make_plan(&workflows, &skills, &request, &Programs::default()) {
                Ok(planned) => {
                    plans.insert(entry.name.clone(), planned.plan);
                }
                Err(message) => {
                    if let Source::Project(path) = &entry.source {
                        problems.insert(path.clone(), message);
                    }
                    if let Some(old) = self.plans.remove(&entry.name) {
                        plans.insert(entry.name.clone(), old);
                    }
                }
            }
        }
        self.plans = plans;
        problems
    }

    /// The triggers of the project's workflows.
    pub fn triggers(&self) -> TriggerSet {
        TriggerSet::new(
            self.plans
                .iter()
                .filter(|(name, _)| self.project.contains(*name))
                .map(|(_, p)| &p.workflow),
        )
    }

    /// A task of `workflow` for `changed` paths, on its last good plan.
    pub fn task(
        &self,
        workflow: &str,
        changed: &[String],
        reason: String,
    ) -> Result<NewTask, String> {
        let plan = self
            .plans
            .get(workflow)
            .ok_or_else(|| format!("no valid version of workflow `{workflow}`"))?;
        let given = BTreeMap::from([(
            CHANGED_FILES.to_string(),
            serde_json::Value::String(changed.join("\n")),
        )]);
        let inputs = resolve_inputs(
            &plan.workflow.inputs,
            &given,
            &format!("workflow `{workflow}`"),
        )?;
        let frozen =
            serde_json::to_string(plan).map_err(|e| format!("cannot freeze the plan: {e}"))?;
        Ok(NewTask {
            id: TaskId::generate(),
            description: describe(workflow, changed),
            workflow: workflow.to_string(),
            workflow_reason: reason,
            plan: frozen,
            priority: Priority::Normal,
            inputs: serde_json::Value::Object(inputs).to_string(),
            created_at: crate::time::now_rfc3339(),
        })
    }
}

/// `ci: src/main.rs changed` / `ci: 3 files changed (src/a.rs, src/b.rs, …)`.
fn describe(workflow: &str, changed: &[String]) -> String {
    match changed {
        [one] => format!("{workflow}: {one} changed"),
        many => {
            let shown: Vec<&str> = many.iter().take(2).map(String::as_str).collect();
            let more = if many.len() > 2 { ", …" } else { "" };
            format!(
                "{workflow}: {} files changed ({}{more})",
                many.len(),
                shown.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(workflow: &str) -> (tempfile::TempDir, ProjectPaths) {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = ProjectPaths::new(dir.path()).expect("paths");
        std::fs::create_dir_all(dir.path().join(".bosun/workflows")).expect("mkdir");
        std::fs::write(dir.path().join(".bosun/workflows/fmt.yaml"), workflow).expect("write");
        (dir, paths)
    }

    const FMT: &str = "triggers:\n  - watch: [\"src/**/*.rs\"]\nsteps:\n  - id: fmt\n    skill: shell\n    with: { run: \"echo {{ inputs.changed_files }}\" }\n";

    #[test]
    fn an_invalid_edit_keeps_the_last_good_plan_and_says_where() {
        let (dir, paths) = project(FMT);
        let mut good = LastGood::default();
        assert!(good.reload(&paths).is_empty());
        assert_eq!(good.triggers().specs().len(), 1);
        let file = dir.path().join(".bosun/workflows/fmt.yaml");
        std::fs::write(&file, "triggers:\n  - watch: [\"src/[\"]\nsteps: []\n").expect("write");
        let problems = good.reload(&paths);
        let message = problems.values().next().expect("a problem");
        assert!(message.contains("fmt.yaml:2:"), "{message}");
        assert_eq!(
            good.triggers().specs()[0].globs,
            vec!["src/**/*.rs"],
            "the old one runs"
        );
        let task = good
            .task(
                "fmt",
                &["src/a.rs".into(), "src/b.rs".into()],
                "test".into(),
            )
            .expect("a task on the last good plan");
        assert_eq!(
            task.description,
            "fmt: 2 files changed (src/a.rs, src/b.rs)"
        );
        assert!(
            task.inputs.contains("src/a.rs\\nsrc/b.rs"),
            "{}",
            task.inputs
        );
    }
}
