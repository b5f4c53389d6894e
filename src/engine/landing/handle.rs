//! What a front end that stays open (the interface) asks about branches, through its
//! [`EngineHandle`]: a task's diff, its merge, its discard, and carrying out an answer about
//! a branch. Each answers in words a status line can show.

use super::{Decided, Landing, MergeOutcome, act_on_answer, describe};
use crate::engine::handle::EngineHandle;
use crate::protocol::{EscalationId, MergeStrategy, TaskId};

impl EngineHandle {
    fn live_settings(&self) -> crate::config::Settings {
        match &self.run {
            Some(run) => (*run.settings.current()).clone(),
            None => (*self.settings).clone(),
        }
    }

    /// The stat and the patch (with git's colours) of task `id`'s changes.
    pub async fn task_diff(&self, id: &TaskId) -> Result<(String, String), String> {
        Landing::new(&self.store, &self.paths)
            .diff(id, true)
            .await
            .map(|d| (d.stat, d.patch))
            .map_err(|e| e.to_string())
    }

    /// Merges task `id`'s branch into its base, as the user decided.
    pub async fn merge_task(&self, id: &TaskId, how: MergeStrategy) -> Result<String, String> {
        let settings = self.live_settings();
        let question = format!("Merge task {id}'s branch into its base ({})?", how.as_str());
        let options = vec!["merge".to_string()];
        let decision = Decided {
            question: &question,
            options: &options,
            choice: "merge",
            by: "user",
            reason: "merged from the interface",
        };
        let outcome = Landing::new(&self.store, &self.paths)
            .merge(id, how, Some(decision), "user", &settings.escalation)
            .await
            .map_err(|e| e.to_string())?;
        let line = describe(id, &outcome).map_err(|e| e.to_string())?;
        match outcome {
            MergeOutcome::Merged { .. } => Ok(line),
            MergeOutcome::Conflict { .. } => Err(line),
        }
    }

    /// Throws task `id`'s branch away, as the user decided.
    pub async fn discard_task(&self, id: &TaskId) -> Result<String, String> {
        let question = format!("Discard task {id}'s branch?");
        let options = vec!["discard".to_string()];
        let decision = Decided {
            question: &question,
            options: &options,
            choice: "discard",
            by: "user",
            reason: "discarded from the interface",
        };
        Landing::new(&self.store, &self.paths)
            .discard(id, Some(decision))
            .await
            .map(|()| format!("{id} discarded: its worktree and branch are removed"))
            .map_err(|e| e.to_string())
    }

    /// Carries out the answer to escalation `id` when it was about a branch.
    pub(crate) async fn land_answer(&self, id: &EscalationId) {
        let record = match crate::store::escalations::read::get(&self.store.reader, id).await {
            Ok(Some(record)) if record.question.kind == crate::protocol::DecisionKind::Merge => {
                record
            }
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(escalation = %id, error = %e, "cannot read an answered question");
                return;
            }
        };
        let settings = self.live_settings();
        match act_on_answer(&self.paths, &settings, &self.store, &record).await {
            Ok(done) => tracing::info!(escalation = %id, "{done}"),
            Err(e) => tracing::warn!(escalation = %id, error = %e, "the answer about a branch was not carried out"),
        }
    }
}
