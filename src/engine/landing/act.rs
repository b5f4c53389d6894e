//! The questions asked about a branch, and what a decision about it does: merge it, keep it
//! for later (or for a resolve by hand), discard it, or hand it to an agent to rebase.

use std::collections::BTreeMap;

use super::merge::MergeOutcome;
use super::{Decided, LandError, Landing};
use crate::config::{EscalationSettings, ProjectPaths, Settings};
use crate::definitions::workflow::{Plan, WorktreePlan};
use crate::engine::submit::{self, SubmitError};
use crate::protocol::{
    DecisionKind, EngineEvent, EscalationId, MergeStrategy, Priority, Risk, SubmitRequest, TaskId,
    WorktreeState,
};
use crate::store::escalations::{EscalationOp, EscalationRecord, NewEscalation};
use crate::store::{Store, StoreError, WriteOp};
use crate::time::{format_rfc3339, now_rfc3339};

/// The options of the question asked when a task in a worktree succeeded.
pub const AFTER_SUCCESS: [&str; 3] = ["merge", "keep", "discard"];
/// The options of the question asked when its merge conflicted.
pub const AFTER_CONFLICT: [&str; 3] = ["keep", "discard", "rebase"];
/// The workflow an agent rebases a conflicted branch with.
pub const RESOLVE_WORKFLOW: &str = "resolve-conflicts";

/// How long a question about a branch stays open: nothing runs while it waits, and its
/// default (`keep`) changes nothing, so it waits for the user.
const OPEN_FOR: time::Duration = time::Duration::days(30);

/// A question about a task's branch.
pub(crate) struct BranchQuestion<'a> {
    pub task: &'a TaskId,
    pub workflow: &'a str,
    pub question: String,
    pub options: &'a [&'a str],
    pub reason: String,
    pub detail: Option<String>,
}

impl Landing<'_> {
    /// Puts `q` in the inbox (default `keep`).
    pub(crate) async fn ask(
        &self,
        q: BranchQuestion<'_>,
        limits: &EscalationSettings,
    ) -> Result<EscalationId, StoreError> {
        let placement = crate::engine::runner::place_in_batch(&self.store.reader, limits).await?;
        let now = time::OffsetDateTime::now_utc();
        let id = EscalationId::generate();
        let options: Vec<String> = q.options.iter().map(|o| o.to_string()).collect();
        let question = NewEscalation {
            id: id.clone(),
            task_id: q.task.clone(),
            step_id: None,
            kind: DecisionKind::Merge,
            question: q.question.clone(),
            options,
            default: "keep".into(),
            risk: Risk::High,
            reason: q.reason,
            skill: None,
            workflow: Some(q.workflow.to_string()),
            shape: format!("merge:{}:{}", q.workflow, q.options.join("/")),
            proposal: Some(serde_json::json!({ "workflow": q.workflow }).to_string()),
            detail: q.detail,
            batch: placement.batch,
            notified: placement.notify,
            created_at: format_rfc3339(now),
            deadline: format_rfc3339(now + OPEN_FOR),
        };
        self.store
            .writer
            .write(vec![
                WriteOp::Escalation(EscalationOp::Open(question)),
                WriteOp::Event(EngineEvent::EscalationOpened {
                    task_id: q.task.clone(),
                    step_id: None,
                    escalation_id: id.clone(),
                    batch: placement.batch,
                    notify: placement.notify,
                }),
                WriteOp::Log {
                    level: "info",
                    task_id: Some(q.task.clone()),
                    step_id: None,
                    message: format!("asked the user (escalation {id}): {}", q.question),
                },
            ])
            .await?;
        Ok(id)
    }

    /// Throws task `id`'s branch away: its worktree and branch are removed.
    pub async fn discard(&self, id: &TaskId, decision: Option<Decided<'_>>) -> Result<(), LandError> {
        let row = self.worktree_of(id).await?;
        match row.state {
            WorktreeState::Creating | WorktreeState::Active => {
                return Err(LandError::Invalid(format!(
                    "task {id} is still running in its worktree: cancel it first"
                )));
            }
            WorktreeState::Merging => {
                return Err(LandError::Invalid(format!("task {id} is being merged")));
            }
            gone if gone.is_gone() => {
                return Err(LandError::Invalid(format!(
                    "task {id}'s worktree was already {gone}"
                )));
            }
            _ => {}
        }
        let settle = vec![WriteOp::Escalation(EscalationOp::Withdraw {
            task_id: id.clone(),
            step_id: None,
            at: now_rfc3339(),
        })];
        match decision {
            Some(decision) => self.record_decision(id, decision, settle).await?,
            None => self.store.writer.write(settle).await?,
        }
        self.remove(&row, WorktreeState::Discarded, Some("discarded".into()))
            .await?
            .map_err(LandError::Failed)
    }

    /// Leaves task `id`'s branch as it is, for a later merge (or a resolve by hand).
    async fn keep(&self, id: &TaskId) -> Result<String, LandError> {
        let row = self.worktree_of(id).await?;
        let note = match row.state {
            WorktreeState::Conflicted => format!(
                "kept for a resolve by hand: rebase or merge {} in {}, commit, then `bosun merge {id}`",
                row.base.as_deref().unwrap_or("its base"),
                row.path
            ),
            _ => format!("kept: `bosun merge {id}` or `bosun discard {id}` when ready"),
        };
        self.set_state(
            id,
            WorktreeState::Ready,
            &[WorktreeState::Ready, WorktreeState::Conflicted],
            Some(note.clone()),
        )
        .await?;
        Ok(note)
    }
}

/// Hands task `id`'s conflicted branch to an agent: a new task of the `resolve-conflicts`
/// workflow, run in `id`'s worktree. Its success asks about the merge again.
pub async fn rebase_request(
    paths: &ProjectPaths,
    settings: &Settings,
    store: &Store,
    id: &TaskId,
) -> Result<TaskId, LandError> {
    let landing = Landing::new(store, paths);
    let row = landing.worktree_of(id).await?;
    let base = row.base.clone().ok_or_else(|| {
        LandError::Invalid(format!("task {id}'s branch has no base branch to rebase onto"))
    })?;
    let request = SubmitRequest {
        description: format!("Rebase {} onto {base} and resolve its conflicts", row.branch),
        workflow: Some(RESOLVE_WORKFLOW.into()),
        inputs: BTreeMap::from([
            ("branch".to_string(), row.branch.clone()),
            ("base".to_string(), base),
            ("files".to_string(), row.conflicts.join("\n")),
        ]),
        priority: Priority::High,
        isolation: None,
        base: None,
    };
    let invalid = |e: SubmitError| match e {
        SubmitError::Invalid(m) => LandError::Invalid(format!("cannot hand it to an agent: {m}")),
        SubmitError::Store(e) => LandError::Store(e),
    };
    let mut task = submit::prepare(paths, settings, &request).map_err(invalid)?;
    let mut plan: Plan = serde_json::from_str(&task.plan)
        .map_err(|e| LandError::Failed(format!("cannot read the plan back: {e}")))?;
    plan.worktree = Some(WorktreePlan {
        base: None,
        setup_steps: Vec::new(),
        adopt: Some(id.to_string()),
    });
    task.plan = serde_json::to_string(&plan)
        .map_err(|e| LandError::Failed(format!("cannot freeze the plan: {e}")))?;
    let new = submit::queue(store, task).await.map_err(invalid)?;
    landing
        .set_state(
            id,
            WorktreeState::Conflicted,
            &[WorktreeState::Conflicted, WorktreeState::Ready],
            Some(format!("handed to task {new} to rebase")),
        )
        .await?;
    Ok(new)
}

/// Carries out an answered question about a branch, then marks the answer acted on. Returns
/// what was done, in words.
pub async fn act_on_answer(
    paths: &ProjectPaths,
    settings: &Settings,
    store: &Store,
    record: &EscalationRecord,
) -> Result<String, LandError> {
    let q = &record.question;
    let id = &q.task_id;
    let landing = Landing::new(store, paths);
    let choice = record.choice.as_deref().unwrap_or("keep");
    let done = match choice {
        "merge" => match landing
            .merge(id, MergeStrategy::Merge, None, "user", &settings.escalation)
            .await
        {
            Ok(outcome) => describe(id, &outcome),
            Err(e) => Err(e),
        },
        "discard" => landing
            .discard(id, None)
            .await
            .map(|()| format!("{id} discarded: its worktree and branch are removed")),
        "rebase" => rebase_request(paths, settings, store, id)
            .await
            .map(|new| format!("{id} handed to task {new} to rebase onto its base")),
        _ => landing.keep(id).await,
    };
    // Acted on, or refused for a reason that a second try would meet again: either way the
    // answer is spent; what happened is in the worktree's state.
    if !matches!(done, Err(LandError::Store(_))) {
        store
            .writer
            .write(vec![WriteOp::Escalation(EscalationOp::Consume {
                id: q.id.clone(),
                at: now_rfc3339(),
            })])
            .await?;
    }
    done
}

/// One line on a merge's outcome.
pub fn describe(id: &TaskId, outcome: &MergeOutcome) -> Result<String, LandError> {
    Ok(match outcome {
        MergeOutcome::Merged {
            into,
            commit: Some(c),
        } => format!("{id} merged into {into} ({})", &c[..c.len().min(12)]),
        MergeOutcome::Merged { into, commit: None } => {
            format!("{id}: {into} already had everything it changed")
        }
        MergeOutcome::Conflict { files, escalation } => format!(
            "{id} conflicts with its base in {}: nothing was merged{}",
            files.join(", "),
            escalation
                .as_ref()
                .map(|e| format!("; question {e} asks what to do"))
                .unwrap_or_default()
        ),
    })
}

impl Landing<'_> {
    /// A merge conflicted: nothing moved; the task is parked and the user asked.
    pub(super) async fn conflicted(
        &self,
        merge: &crate::store::worktrees::MergeRecord,
        row: &crate::store::worktrees::WorktreeRecord,
        files: Vec<String>,
        limits: &EscalationSettings,
    ) -> Result<(), LandError> {
        use crate::store::worktrees::{MergeStatus, WorktreeOp};
        let at = now_rfc3339();
        self.store
            .writer
            .write(vec![
                WriteOp::Worktree(WorktreeOp::FinishMerge {
                    id: merge.id,
                    status: MergeStatus::Conflict,
                    error: Some(format!("conflicts in {}", files.join(", "))),
                    at: at.clone(),
                }),
                WriteOp::Worktree(WorktreeOp::SetState {
                    task_id: row.task_id.clone(),
                    state: WorktreeState::Conflicted,
                    from: vec![WorktreeState::Merging],
                    error: None,
                    at,
                }),
                WriteOp::Worktree(WorktreeOp::Conflicts {
                    task_id: row.task_id.clone(),
                    files: files.clone(),
                }),
                WriteOp::Event(EngineEvent::WorktreeChanged {
                    task_id: row.task_id.clone(),
                    state: WorktreeState::Conflicted,
                    note: Some(format!("its merge conflicts in {}", files.join(", "))),
                }),
            ])
            .await?;
        let workflow = crate::store::read::get_task_record(&self.store.reader, &row.task_id)
            .await?
            .map(|t| t.workflow)
            .unwrap_or_default();
        self.ask(
            BranchQuestion {
                task: &row.task_id,
                workflow: &workflow,
                question: format!(
                    "Merging {} into {} conflicts in {}; nothing was merged. Keep it to resolve by hand, discard it, or hand it to an agent to rebase?",
                    row.branch,
                    merge.into,
                    files.join(", ")
                ),
                options: &AFTER_CONFLICT,
                reason: format!("{} changed the same lines since the task left it", merge.into),
                detail: Some(format!("worktree: {}\nconflicts:\n  {}", row.path, files.join("\n  "))),
            },
            limits,
        )
        .await?;
        Ok(())
    }
}
