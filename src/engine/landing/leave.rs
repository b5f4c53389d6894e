//! A task in a worktree ended: its work is committed on its branch (so nothing is lost and the
//! diff is whole), its changes noted, and then — removed when it changed nothing, else left
//! for review — its merge decided by the policy (a rule may merge a green task's branch) or
//! asked in the inbox.

use std::path::PathBuf;

use super::act::{AFTER_SUCCESS, BranchQuestion};
use super::merge::subject;
use super::{Decided, Landing, git};
use crate::config::EscalationSettings;
use crate::policy::{Outcome, Policy, Query};
use crate::protocol::{DecisionKind, MergeStrategy, Risk, WorktreeState};
use crate::store::StoreError;
use crate::store::worktrees::{WorktreeRecord, read};

/// What the runner knows about the task that ended.
pub(crate) struct Ended<'a> {
    pub description: &'a str,
    pub workflow: &'a str,
    pub succeeded: bool,
}

impl Landing<'_> {
    /// See the module doc. Git failures are logged and noted on the worktree; the task's
    /// outcome stands.
    pub(crate) async fn leave(
        &self,
        row: &WorktreeRecord,
        ended: Ended<'_>,
        policy: &Policy,
        limits: &EscalationSettings,
    ) -> Result<(), StoreError> {
        let id = &row.task_id;
        let path = PathBuf::from(&row.path);
        let message = format!(
            "{}\n\nThe work of Bosun task {id}, committed when it ended.",
            subject(ended.description)
        );
        // A rebase or merge the task left half-done is undone first: its branch must hold
        // work, not conflict markers.
        let committed = git(move || {
            crate::worktree::abort_in_progress(&path)?;
            crate::worktree::commit_all(&path, &message)
        })
        .await;
        if let Err(e) = committed {
            tracing::warn!(task = %id, error = %e, "cannot commit what the task left in its worktree");
        }
        if let Err(e) = self.note_changes(id).await? {
            tracing::warn!(task = %id, error = %e, "cannot read what the worktree changed");
        }
        let Some(row) = read::get(&self.store.reader, id).await? else {
            return Ok(());
        };
        if row.changed.is_empty() && row.ahead == 0 {
            if let Err(e) = self
                .remove(
                    &row,
                    WorktreeState::Removed,
                    Some("it changed nothing".into()),
                )
                .await?
            {
                tracing::warn!(task = %id, error = %e, "cannot remove a worktree that changed nothing");
            }
            return Ok(());
        }
        self.set_state(id, WorktreeState::Ready, &[WorktreeState::Active], None)
            .await?;
        let Some(base) = row.base.clone() else {
            return Ok(());
        };
        if !ended.succeeded {
            return Ok(());
        }
        let live = read::live(&self.store.reader).await?;
        let collides = read::collisions(&row, &live);
        let question = format!(
            "Task {id} succeeded in its worktree: merge {} into {base}? ({})",
            row.branch,
            crate::text::count(row.changed.len() as i64, "file")
        );
        let options: Vec<String> = AFTER_SUCCESS.iter().map(|o| o.to_string()).collect();
        let query = Query {
            kind: DecisionKind::Merge,
            skill: "merge",
            workflow: Some(ended.workflow),
            step: None,
            risk: Risk::High,
        };
        let verdict = policy.check_decision(&query, &question, &options, "keep");
        if let Outcome::Choose(choice) = &verdict.outcome {
            let decided = Decided {
                question: &question,
                options: &options,
                choice,
                by: &verdict.decided_by,
                reason: &verdict.reason,
            };
            self.record_decision(id, decided, Vec::new()).await?;
            let done = match choice.as_str() {
                "merge" => self
                    .merge(id, MergeStrategy::Merge, None, &verdict.decided_by, limits)
                    .await
                    .map(|_| ()),
                "discard" => self.discard(id, None).await,
                _ => Ok(()),
            };
            return match done {
                Ok(()) => Ok(()),
                Err(super::LandError::Store(e)) => Err(e),
                Err(e) => {
                    tracing::warn!(task = %id, error = %e, "the decided merge was not done");
                    Ok(())
                }
            };
        }
        let mut detail = format!(
            "worktree: {}\nchanged:\n  {}",
            row.path,
            row.changed.join("\n  ")
        );
        for c in &collides {
            detail.push_str(&format!(
                "\ntask {} also changes: {}",
                c.task_id,
                c.files.join(", ")
            ));
        }
        self.ask(
            BranchQuestion {
                task: id,
                workflow: ended.workflow,
                question,
                options: &AFTER_SUCCESS,
                reason: verdict.reason,
                detail: Some(detail),
            },
            limits,
        )
        .await?;
        Ok(())
    }
}
