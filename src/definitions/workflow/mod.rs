//! Workflows (DESIGN.md §4): the checked model, parsing and validation with positions, the
//! bundled set, choosing one for a description (a command, a workflow's words, or an agent's
//! work), and the plan frozen into each task. [`agents`] says which of a workflow's agent
//! steps could not start their agent here.

pub mod agents;
mod bundled;
mod isolate;
mod model;
mod parse;
mod plan;
mod programs;
mod route;
mod select;

use crate::config::ProjectPaths;
use crate::definitions::catalog::{self, Catalog};

pub use bundled::BUNDLED_WORKFLOWS;
pub use model::{
    CHANGED_FILES, Decide, Isolation, OnBusy, OnFailure, Retry, Step, StepKind, Trigger, Workflow,
    compile_glob,
};
pub use isolate::{SETUP_STEP, WorktreePlan, is_setup_step, isolate};
pub use parse::parse_workflow;
pub use plan::{Plan, Planned, make_plan};
pub use programs::{AgentLookup, Programs};
pub use route::{AGENT_WORKFLOWS, FIX_TESTS, IMPLEMENT, REVIEW, ROUTED_ADAPTER};
pub use select::{Candidate, Chosen, DEFAULT_WORKFLOW, choose, choose_workflow};

/// Every known workflow.
pub type WorkflowCatalog = Catalog<Workflow>;

/// Indexes the bundled workflows and the project's.
pub fn load_workflows(paths: &ProjectPaths) -> WorkflowCatalog {
    Catalog::load(
        "workflows",
        BUNDLED_WORKFLOWS,
        &catalog::project_dir(paths, "workflows"),
    )
}
