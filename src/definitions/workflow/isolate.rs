//! Putting a plan in a worktree of its own (DESIGN.md §9): the worktree's base, frozen into
//! the plan, and `worktree.setup`'s commands as `shell` steps in front of the workflow's own —
//! so they are judged by the policy, shown, recorded and recovered like every other step.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Plan, Step, StepKind};
use crate::definitions::skills::{self, SkillCatalog};

/// The id of the first setup step; later ones are `worktree-setup-2`, `-3`, ...
pub const SETUP_STEP: &str = "worktree-setup";

/// How a task's worktree is made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorktreePlan {
    /// The ref it starts from (`--base`); `None`: `HEAD` when the task starts.
    pub base: Option<String>,
    /// The ids of the setup steps: a failure of one removes the worktree with the task.
    #[serde(default)]
    pub setup_steps: Vec<String>,
    /// The task whose worktree this one works in rather than a new one (an agent rebasing a
    /// branch whose merge conflicted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt: Option<String>,
}

/// Whether `id` names one of the setup steps.
pub fn is_setup_step(plan: &Plan, id: &str) -> bool {
    plan.worktree
        .as_ref()
        .is_some_and(|w| w.setup_steps.iter().any(|s| s == id))
}

/// Makes `plan` run in a worktree from `base`, with `setup` run first.
pub fn isolate(
    plan: &mut Plan,
    base: Option<String>,
    setup: &[String],
    catalog: &SkillCatalog,
) -> Result<(), String> {
    let mut ids = Vec::new();
    if !setup.is_empty() {
        let shell = skills::skill(catalog, "shell")
            .ok_or("worktree.setup needs the `shell` skill, and there is none")?
            .as_ref()
            .map_err(|d| d.to_string())?;
        if !shell.inputs.contains_key("run") {
            return Err("worktree.setup runs its commands with the `shell` skill's `run` input, which the project's `shell` skill does not have".into());
        }
        plan.skills.insert("shell".into(), shell.clone());
        let taken: Vec<String> = plan
            .workflow
            .flat_steps()
            .iter()
            .map(|(s, _)| s.id.clone())
            .collect();
        let mut steps = Vec::new();
        for (n, command) in setup.iter().enumerate() {
            let mut id = match n {
                0 => SETUP_STEP.to_string(),
                n => format!("{SETUP_STEP}-{}", n + 1),
            };
            while taken.contains(&id) {
                id.push('_');
            }
            steps.push(Step {
                id: id.clone(),
                condition: None,
                continue_on_error: false,
                on_failure: Some(super::OnFailure::Fail),
                kind: StepKind::Skill {
                    skill: "shell".into(),
                    with: BTreeMap::from([("run".into(), serde_json::Value::String(command.clone()))]),
                    retry: None,
                    timeout: None,
                },
            });
            ids.push(id);
        }
        steps.append(&mut plan.workflow.steps);
        plan.workflow.steps = steps;
    }
    plan.worktree = Some(WorktreePlan {
        base,
        setup_steps: ids,
        adopt: None,
    });
    Ok(())
}
