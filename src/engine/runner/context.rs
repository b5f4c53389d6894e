//! What templates and `if` expressions see while a task runs: `inputs`, `task`, `project` and
//! `steps.<id>.{status, ok, exit_code, output, error, choice, result}` for every step.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::isolation::Placed;
use crate::definitions::workflow::Workflow;
use crate::protocol::StepStatus;
use crate::store::{StepRow, TaskRecord};

/// The parts of the context that do not change during a run.
#[derive(Debug, Clone)]
pub struct BaseContext {
    pub inputs: Value,
    pub task: Value,
    pub project: Value,
}

impl BaseContext {
    /// `root` is where the task's steps run: its worktree (`placed`), or the project.
    pub fn new(task: &TaskRecord, root: &Path, placed: Option<&Placed>) -> BaseContext {
        BaseContext {
            inputs: Value::Object(task.inputs.clone()),
            task: json!({
                "id": task.id.as_str(),
                "description": task.description,
                "workflow": task.workflow,
                "priority": task.priority.as_str(),
                "worktree": placed.map(|p| p.path.display().to_string()),
                "branch": placed.map(|p| p.branch.clone()),
            }),
            project: json!({ "root": root.display().to_string() }),
        }
    }
}

fn step_value(row: Option<&StepRow>) -> Value {
    let Some(row) = row else {
        return json!({"status": "pending", "ok": false, "exit_code": null, "output": null,
                      "stderr": null, "error": null, "choice": null, "result": null});
    };
    let result = row
        .output
        .as_deref()
        .and_then(|o| serde_json::from_str::<Value>(o.trim()).ok())
        .unwrap_or(Value::Null);
    json!({
        "status": row.status.as_str(),
        "ok": row.status == StepStatus::Succeeded,
        "exit_code": row.exit_code,
        "output": row.output,
        "stderr": row.stderr,
        "error": row.error,
        "choice": row.choice,
        "result": result,
    })
}

/// The full context for the current state of the run.
pub fn context(
    base: &BaseContext,
    workflow: &Workflow,
    rows: &BTreeMap<String, StepRow>,
) -> minijinja::Value {
    let steps: serde_json::Map<String, Value> = workflow
        .flat_steps()
        .into_iter()
        .map(|(step, _)| (step.id.clone(), step_value(rows.get(&step.id))))
        .collect();
    minijinja::Value::from(minijinja::value::Serde(json!({
        "inputs": base.inputs,
        "task": base.task,
        "project": base.project,
        "steps": steps,
    })))
}
