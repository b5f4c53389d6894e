//! What a front end that stays open (the interface) asks about branches, through its
//! [`EngineHandle`]: a task's diff, its merge, its discard, and carrying out an answer about
//! a branch. Each answers in words a status line can show.

use super::{Landing, MergeOutcome, act_on_answers, describe};
use crate::engine::handle::EngineHandle;
use crate::protocol::{MergeStrategy, TaskId};

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
        let outcome = Landing::new(&self.store, &self.paths)
            .merge_as_user(id, how, "merged from the interface", &settings.escalation)
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
        Landing::new(&self.store, &self.paths)
            .discard_as_user(id, "discarded from the interface")
            .await
            .map(|()| format!("{id} discarded: its worktree and branch are removed"))
            .map_err(|e| e.to_string())
    }

    /// Carries out the answers about branches not acted on yet (the one just given, those
    /// given with it).
    pub(crate) async fn land_answers(&self) {
        let settings = self.live_settings();
        match act_on_answers(&self.paths, &settings, &self.store).await {
            Ok(done) => {
                for line in done {
                    tracing::info!("{line}");
                }
            }
            Err(e) => tracing::warn!(error = %e, "answers about branches were not carried out"),
        }
    }
}
