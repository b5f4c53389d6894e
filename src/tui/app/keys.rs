//! Routing a key: the top layer takes it first; otherwise the focused pane, then the global
//! actions. The palette runs actions through the same path.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::App;
use crate::tui::keymap::Action;
use crate::tui::msg::{Effect, QuitMode};
use crate::tui::overlays::{Confirm, ConfirmKind, Help, Layer, LayerOutcome, NewTaskForm, Palette};
use crate::tui::panes::{Hint, Outcome, PaneId};

impl App {
    pub(super) fn on_key(&mut self, key: &KeyEvent) -> Vec<Effect> {
        // Ctrl-C always reaches quit, even from a form.
        let actions = self.keymap.actions(key);
        if let Some(layer) = self.layers.last_mut() {
            let ctrl_c =
                key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
            if !ctrl_c {
                let outcome = layer.handle_key(key, &actions);
                return self.on_layer_outcome(outcome);
            }
        }
        self.notice = None;
        let outcome = self.pane_key(key, &actions);
        match outcome {
            Outcome::Ignored => {}
            other => return self.on_pane_outcome(other),
        }
        for action in actions {
            // A task's branch is acted on where tasks are shown; elsewhere its keys may mean
            // something else (`m` remembers an answer in the Inbox).
            let landing = matches!(
                action,
                Action::Diff | Action::MergeTask | Action::DiscardTask
            );
            if landing && !matches!(self.focus, PaneId::Tasks | PaneId::Workflow) {
                continue;
            }
            if let Some(effects) = self.global(action) {
                return effects;
            }
        }
        self.dirty = false;
        Vec::new()
    }

    pub(super) fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        if let Some(Layer::NewTask(form)) = self.layers.last_mut()
            && form.focus == crate::tui::overlays::new_task::Field::Description
        {
            form.description.insert_str(text);
        }
        Vec::new()
    }

    fn pane_key(&mut self, key: &KeyEvent, actions: &[Action]) -> Outcome {
        let selected_task = self.model.detail.as_ref().map(|t| t.id.clone());
        match self.focus {
            PaneId::Tasks => self.tasks.handle_key(key, actions, &self.model),
            PaneId::Workflow => self.workflow.handle_key(key, actions, &self.model),
            PaneId::Inbox => self.inbox.handle_key(key, actions, &self.model),
            PaneId::Logs => self.logs.handle_key(key, actions, selected_task.as_ref()),
        }
    }

    fn on_pane_outcome(&mut self, outcome: Outcome) -> Vec<Effect> {
        match outcome {
            Outcome::Ignored | Outcome::Handled => Vec::new(),
            Outcome::Effects(effects) => effects,
            Outcome::Open(layer) => {
                // An agent step's output view reads its transcript as it opens.
                let effects = match &layer {
                    Layer::Detail(d) => d
                        .transcript_of
                        .clone()
                        .map(|(task, step)| Effect::LoadTranscript { task, step })
                        .into_iter()
                        .collect(),
                    _ => Vec::new(),
                };
                self.layers.push(layer);
                effects
            }
        }
    }

    fn on_layer_outcome(&mut self, outcome: LayerOutcome) -> Vec<Effect> {
        match outcome {
            LayerOutcome::Keep => Vec::new(),
            LayerOutcome::Effects(effects) => effects,
            LayerOutcome::Close => {
                self.layers.pop();
                Vec::new()
            }
            LayerOutcome::CloseWith(effects) => {
                self.layers.pop();
                self.landing_started(&effects);
                effects
            }
            LayerOutcome::Run(action) => {
                self.layers.pop();
                self.run_action(action)
            }
        }
    }

    /// Runs an action by name (from the palette): a global one, else the focused pane's.
    pub fn run_action(&mut self, action: Action) -> Vec<Effect> {
        if let Some(effects) = self.global(action) {
            return effects;
        }
        let outcome = self.pane_key(&KeyEvent::from(KeyCode::Null), &[action]);
        self.on_pane_outcome(outcome)
    }

    /// A global action; `None` when `action` is not one.
    fn global(&mut self, action: Action) -> Option<Vec<Effect>> {
        let effects = match action {
            Action::Quit => {
                let running = self.model.counts();
                let running = running.running + running.waiting;
                if running > 0 && !self.attached {
                    self.layers
                        .push(Layer::Confirm(Confirm::new(ConfirmKind::Quit { running })));
                    Vec::new()
                } else {
                    vec![Effect::Quit(QuitMode::Stop)]
                }
            }
            Action::Help => {
                self.layers
                    .push(Layer::Help(Help::new(self.help_sections())));
                Vec::new()
            }
            Action::Palette => {
                self.layers.push(Layer::Palette(Palette::new(&self.keymap)));
                Vec::new()
            }
            Action::NewTask => {
                let form = NewTaskForm::new(self.model.workflows.clone(), self.programs.clone());
                self.layers.push(Layer::NewTask(Box::new(form)));
                vec![Effect::LoadWorkflows]
            }
            Action::NextPane => {
                self.focus = self.focus.next();
                self.relayout();
                Vec::new()
            }
            Action::PrevPane => {
                self.focus = self.focus.prev();
                self.relayout();
                Vec::new()
            }
            Action::Zoom => {
                self.zoom = !self.zoom;
                self.relayout();
                Vec::new()
            }
            Action::CancelTask => self.cancel_selected(),
            Action::RerunTask => match &self.tasks.selected {
                Some(id) => vec![Effect::Rerun(id.clone())],
                None => Vec::new(),
            },
            Action::DismissTask => self.dismiss_selected(),
            Action::Diff | Action::MergeTask | Action::DiscardTask => return self.landing(action),
            Action::Suspend => vec![Effect::Suspend],
            Action::Redraw => vec![Effect::Clear],
            _ => return None,
        };
        Some(effects)
    }

    /// The task the Tasks pane's selection is on.
    fn selected_task(&self) -> Option<&crate::protocol::TaskSummary> {
        self.tasks
            .selected
            .as_ref()
            .and_then(|id| self.model.task(id))
    }

    fn dismiss_selected(&mut self) -> Vec<Effect> {
        let Some(task) = self.selected_task() else {
            return Vec::new();
        };
        if task.status != crate::protocol::TaskStatus::Failed {
            self.notice = Some(crate::tui::panes::status_bar::Notice::Error(format!(
                "only a failed task is dismissed; {} is {}",
                task.id, task.status
            )));
            return Vec::new();
        }
        vec![Effect::Dismiss(task.id.clone())]
    }

    fn cancel_selected(&mut self) -> Vec<Effect> {
        let Some(task) = self.selected_task() else {
            return Vec::new();
        };
        if task.status.is_terminal() {
            self.notice = Some(crate::tui::panes::status_bar::Notice::Error(format!(
                "{} has already {}",
                task.id, task.status
            )));
            return Vec::new();
        }
        let kind = ConfirmKind::CancelTask {
            id: task.id.clone(),
            description: task.description.clone(),
        };
        self.layers.push(Layer::Confirm(Confirm::new(kind)));
        Vec::new()
    }

    /// The help overlay's sections: global keys, then each pane's own hints.
    pub fn help_sections(&self) -> Vec<(String, Vec<Hint>)> {
        let global = [
            Action::NextPane,
            Action::PrevPane,
            Action::Zoom,
            Action::NewTask,
            Action::CancelTask,
            Action::RerunTask,
            Action::DismissTask,
            Action::Palette,
            Action::Help,
            Action::Suspend,
            Action::Redraw,
            Action::Quit,
        ]
        .iter()
        .map(|a| Hint::action(&self.keymap, *a))
        .collect();
        vec![
            ("Everywhere".to_string(), global),
            ("Tasks".to_string(), self.tasks.hints(&self.keymap)),
            ("Workflow".to_string(), self.workflow.hints(&self.keymap)),
            ("Inbox".to_string(), self.inbox.hints(&self.keymap)),
            ("Logs".to_string(), self.logs.hints(&self.keymap)),
        ]
    }

    /// The short hint line of the status bar.
    pub fn status_hint(&self) -> String {
        let key = |a| self.keymap.key_of(a);
        format!(
            "{} help · {} palette · {} new · {} quit",
            key(Action::Help),
            key(Action::Palette),
            key(Action::NewTask),
            key(Action::Quit)
        )
    }
}
