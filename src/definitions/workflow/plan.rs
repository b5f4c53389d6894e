//! Turning a submission into a plan: the workflow (chosen, parsed, validated), its inputs
//! resolved, and every skill it uses — frozen as JSON into the task, so a running task never
//! sees later edits and a restart runs exactly what was submitted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Programs, StepKind, Workflow, WorkflowCatalog, choose_workflow, parse_workflow};
use crate::definitions::inputs::resolve_inputs;
use crate::definitions::skills::{self, Skill, SkillCatalog};
use crate::protocol::SubmitRequest;

/// What a task runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub workflow: Workflow,
    pub skills: BTreeMap<String, Skill>,
    /// Set when the task runs in a worktree of its own (DESIGN.md §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree: Option<super::isolate::WorktreePlan>,
}

/// A plan and what was decided on the way.
#[derive(Debug, Clone)]
pub struct Planned {
    pub plan: Plan,
    pub inputs: serde_json::Map<String, serde_json::Value>,
    pub reason: String,
}

/// Builds the plan for a submission, or says why it is refused. Without a named workflow,
/// `programs` tells a command line from a request in words.
pub fn make_plan(
    workflows: &WorkflowCatalog,
    skill_catalog: &SkillCatalog,
    request: &SubmitRequest,
    programs: &Programs,
) -> Result<Planned, String> {
    let (name, reason) = match &request.workflow {
        Some(name) => (name.clone(), "named with --workflow".to_string()),
        None => {
            let chosen = choose_workflow(workflows, &request.description, programs)?;
            (chosen.workflow, chosen.reason)
        }
    };
    let entry = workflows.get(&name).ok_or_else(|| {
        let known: Vec<&str> = workflows.names().collect();
        format!("unknown workflow `{name}` (known: {})", known.join(", "))
    })?;
    let workflow = entry
        .get_or_parse(|path, text| parse_workflow(path, text, skill_catalog))
        .as_ref()
        .map_err(|d| d.to_string())?
        .clone();
    let given: BTreeMap<String, serde_json::Value> = request
        .inputs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let inputs = resolve_inputs(&workflow.inputs, &given, &format!("workflow `{name}`"))?;
    let mut used = BTreeMap::new();
    for (step, _) in workflow.flat_steps() {
        if let StepKind::Skill { skill, .. } = &step.kind {
            let def = skills::skill(skill_catalog, skill)
                .ok_or_else(|| format!("unknown skill `{skill}`"))?
                .as_ref()
                .map_err(|d| d.to_string())?;
            used.insert(skill.clone(), def.clone());
        }
    }
    Ok(Planned {
        plan: Plan {
            workflow,
            skills: used,
            worktree: None,
        },
        inputs,
        reason,
    })
}
