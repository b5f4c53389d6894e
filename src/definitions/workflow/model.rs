//! The checked workflow model. It is what a task's plan freezes (as JSON), so a running task is
//! not affected by later edits of the YAML.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::DurationSpec;
use crate::config::environment::PathEntry;
use crate::definitions::inputs::InputSpec;
pub use crate::protocol::Isolation;
use crate::protocol::Risk;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub name: String,
    pub description: String,
    pub inputs: BTreeMap<String, InputSpec>,
    pub triggers: Vec<Trigger>,
    /// What a step that failed after its retries does, unless the step says otherwise; when
    /// neither says, the skill's risk decides (low/medium fail the task, high/critical ask).
    #[serde(default)]
    pub on_failure: Option<OnFailure>,
    /// Variables for every step (templates seeing `inputs`, `task`, `project`): over the
    /// project settings' `env`, under a skill's own.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Directories put in front of `PATH` for every step, before the project settings' `path`.
    #[serde(default)]
    pub path: Vec<PathEntry>,
    /// Where the task's steps run: the project's checkout, or a git worktree of its own
    /// (DESIGN.md §9).
    #[serde(default)]
    pub isolation: Isolation,
    pub steps: Vec<Step>,
}

/// What happens when a skill step has failed its last attempt, when the workflow or the step
/// says; otherwise the skill's risk decides, like any other decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// Ask (retry / skip / abort) through the policy and the inbox, whatever the skill's risk;
    /// abort at the deadline.
    Ask,
    /// Fail the step (and its task) at once.
    Fail,
}

/// Start the workflow when matching files change (used by the watcher).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Globs relative to the project root (`**` crosses directories, `*` does not).
    pub watch: Vec<String>,
    /// Quiet time after the last matching change before the task starts (500 ms).
    #[serde(default)]
    pub debounce: Option<DurationSpec>,
    #[serde(default)]
    pub on_busy: OnBusy,
}

/// What a change does while the workflow already runs for the same trigger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnBusy {
    /// One follow-up run after the current one, with every change since (not one per change).
    #[default]
    Queue,
    /// Nothing: the change is dropped.
    Ignore,
    /// Cancel the running task and start again with the changes.
    Restart,
}

/// The input a triggered task receives: the changed paths, one per line.
pub const CHANGED_FILES: &str = "changed_files";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    /// An expression; the step is skipped when it is false.
    pub condition: Option<String>,
    pub continue_on_error: bool,
    #[serde(default)]
    pub on_failure: Option<OnFailure>,
    pub kind: StepKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Skill {
        skill: String,
        /// Values given to the skill's inputs; strings are templates.
        with: BTreeMap<String, serde_json::Value>,
        retry: Option<Retry>,
        timeout: Option<DurationSpec>,
    },
    Parallel {
        steps: Vec<Step>,
    },
    Decide(Decide),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Total attempts, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each further one.
    #[serde(default = "default_backoff")]
    pub backoff: DurationSpec,
}

fn default_backoff() -> DurationSpec {
    DurationSpec(std::time::Duration::from_secs(1))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decide {
    pub question: String,
    pub options: Vec<String>,
    pub default: String,
    pub risk: Risk,
    pub timeout: Option<DurationSpec>,
}

impl Step {
    /// The name shown in the `skill` column: the skill, or `parallel` / `decide`.
    pub fn label(&self) -> &str {
        match &self.kind {
            StepKind::Skill { skill, .. } => skill,
            StepKind::Parallel { .. } => "parallel",
            StepKind::Decide(_) => "decide",
        }
    }
}

impl Workflow {
    /// Every step, parallel children right after their block, with the block's id.
    pub fn flat_steps(&self) -> Vec<(&Step, Option<&str>)> {
        let mut out = Vec::new();
        for step in &self.steps {
            out.push((step, None));
            if let StepKind::Parallel { steps } = &step.kind {
                out.extend(steps.iter().map(|child| (child, Some(step.id.as_str()))));
            }
        }
        out
    }
}

/// Compiles one trigger glob as the watcher matches it: relative to the project root, `*`
/// stays within a directory, `**` crosses them. Parsing a workflow reports a glob that does not
/// compile at its position; the watcher leaves it out.
pub fn compile_glob(glob: &str) -> Result<globset::Glob, String> {
    globset::GlobBuilder::new(glob.trim_start_matches("./"))
        .literal_separator(true)
        .build()
        .map_err(|e| e.kind().to_string())
}
