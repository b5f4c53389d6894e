//! The selected task's branch (DESIGN.md §9): its diff in a view (`d`), its merge (`m`) and
//! its discard (`D`), each asked first. A task without a worktree, or whose worktree cannot
//! do it now, gets a line saying why instead of a confirmation that would fail after.
//!
//! The worktree read is the selected task's `TaskView` (the Workflow pane's); while it is not
//! read yet the user is told to try again rather than acting on a stale one.

use super::App;
use crate::protocol::{EngineEvent, EventEnvelope, TaskId, TaskView};
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::tui::overlays::{Confirm, ConfirmKind, Detail, Layer};
use crate::tui::panes::status_bar::Notice;
use crate::tui::worktree::{Landing, diff_parts, refusal};

impl App {
    /// `Diff`, `MergeTask` or `DiscardTask` on the selected task; `None` for other actions.
    pub(super) fn landing(&mut self, action: Action) -> Option<Vec<Effect>> {
        let what = match action {
            Action::Diff => Landing::Diff,
            Action::MergeTask => Landing::Merge,
            Action::DiscardTask => Landing::Discard,
            _ => return None,
        };
        let task = match self.selected_view() {
            Ok(task) => task,
            Err(why) => {
                self.notice = why.map(Notice::Error);
                return Some(Vec::new());
            }
        };
        if let Some(why) = refusal(&task.id, task.worktree.as_ref(), what) {
            self.notice = Some(Notice::Error(why));
            return Some(Vec::new());
        }
        let id = task.id.clone();
        let Some(worktree) = task.worktree.clone() else {
            return Some(Vec::new());
        };
        let effects = match what {
            Landing::Diff => {
                let mut view =
                    Detail::from_parts(format!("{id} · diff"), diff_parts(&worktree, None));
                view.diff_of = Some(id.clone());
                self.layers.push(Layer::Detail(view));
                vec![Effect::LoadDiff(id)]
            }
            Landing::Merge => {
                let kind = ConfirmKind::MergeTask {
                    id,
                    worktree: Box::new(worktree),
                };
                self.layers.push(Layer::Confirm(Confirm::new(kind)));
                Vec::new()
            }
            Landing::Discard => {
                let kind = ConfirmKind::DiscardTask {
                    id,
                    worktree: Box::new(worktree),
                };
                self.layers.push(Layer::Confirm(Confirm::new(kind)));
                Vec::new()
            }
        };
        Some(effects)
    }

    /// The selected task's view with its worktree; `Err` with what to tell the user (nothing
    /// when no task is selected).
    fn selected_view(&self) -> Result<&TaskView, Option<String>> {
        let Some(id) = &self.tasks.selected else {
            return Err(None);
        };
        match &self.model.detail {
            Some(task) if &task.id == id => Ok(task),
            _ => Err(Some(format!(
                "{id} is still being read: try again in a moment"
            ))),
        }
    }

    /// Fills the open diff view of `task` with what was read.
    pub(super) fn on_diff(&mut self, task: &TaskId, diff: &Result<(String, String), String>) {
        let worktree = self
            .model
            .detail
            .as_ref()
            .filter(|t| &t.id == task)
            .and_then(|t| t.worktree.as_ref());
        for layer in &mut self.layers {
            if let Layer::Detail(open) = layer
                && open.diff_of.as_ref() == Some(task)
            {
                match worktree {
                    Some(w) => open.set_parts(diff_parts(w, Some(diff))),
                    // The task's view moved on meanwhile: the diff alone, still worth showing.
                    None => open.set_parts(vec![(
                        crate::tui::theme::Role::Text,
                        match diff {
                            Ok((stat, patch)) => format!("{stat}\n{patch}"),
                            Err(e) => format!("cannot read the diff: {e}"),
                        },
                    )]),
                }
            }
        }
    }

    /// The line the status bar shows while a confirmed merge or discard runs (a merge may wait
    /// its turn in its base's queue).
    pub(super) fn landing_started(&mut self, effects: &[Effect]) {
        for effect in effects {
            match effect {
                Effect::MergeTask { id, how } => {
                    self.notice = Some(Notice::Ok(format!("merging {id} ({how})…")));
                }
                Effect::DiscardTask(id) => {
                    self.notice = Some(Notice::Ok(format!("discarding {id}…")));
                }
                _ => {}
            }
        }
    }

    /// Whether `events` changed the selected task's worktree or one it may collide with: its
    /// state, ahead/behind and collisions are then read again, though its row did not change.
    pub(super) fn worktree_moved(&self, events: &[EventEnvelope]) -> bool {
        let selected = self.tasks.selected.as_ref();
        let has_worktree = self
            .model
            .detail
            .as_ref()
            .is_some_and(|t| t.worktree.is_some());
        events.iter().any(|e| match &e.event {
            EngineEvent::WorktreeChanged { task_id, .. } => {
                has_worktree || Some(task_id) == selected
            }
            _ => false,
        })
    }
}
