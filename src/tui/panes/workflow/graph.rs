//! The shape of a task's workflow for drawing: stages top to bottom, each a single step or a
//! parallel block whose branches sit side by side.

use crate::protocol::StepView;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// An index into the task's steps.
    Single(usize),
    /// A parallel block and its branches (indexes into the steps).
    Parallel { block: usize, branches: Vec<usize> },
}

/// Stages in run order. A step whose parent is missing is drawn on its own.
pub fn stages(steps: &[StepView]) -> Vec<Stage> {
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if let Some(parent) = &step.parent
            && steps.iter().any(|s| &s.id == parent)
        {
            continue;
        }
        if step.skill == "parallel" {
            let branches = steps
                .iter()
                .enumerate()
                .filter(|(_, s)| s.parent.as_deref() == Some(step.id.as_str()))
                .map(|(j, _)| j)
                .collect();
            out.push(Stage::Parallel { block: i, branches });
        } else {
            out.push(Stage::Single(i));
        }
    }
    out
}

/// The selectable steps in drawing order (a block's branches, not the block).
pub fn selectable(stages: &[Stage]) -> Vec<usize> {
    let mut out = Vec::new();
    for stage in stages {
        match stage {
            Stage::Single(i) => out.push(*i),
            Stage::Parallel { block, branches } if branches.is_empty() => out.push(*block),
            Stage::Parallel { branches, .. } => out.extend(branches),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::StepStatus;

    fn step(id: &str, skill: &str, parent: Option<&str>) -> StepView {
        StepView {
            id: id.into(),
            skill: skill.into(),
            parent: parent.map(Into::into),
            status: StepStatus::Pending,
            attempts: 0,
            exit_code: None,
            output: None,
            stderr: None,
            waited_ms: None,
            error: None,
            choice: None,
            started_at: None,
            finished_at: None,
            agent: None,
        }
    }

    #[test]
    fn parallel_branches_form_one_stage() {
        let steps = vec![
            step("fmt", "cargo-fmt", None),
            step("checks", "parallel", None),
            step("clippy", "cargo-clippy", Some("checks")),
            step("test", "cargo-test", Some("checks")),
            step("ship", "decide", None),
        ];
        let s = stages(&steps);
        assert_eq!(
            s,
            vec![
                Stage::Single(0),
                Stage::Parallel {
                    block: 1,
                    branches: vec![2, 3]
                },
                Stage::Single(4)
            ]
        );
        assert_eq!(selectable(&s), vec![0, 2, 3, 4]);
    }
}
