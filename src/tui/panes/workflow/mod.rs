//! The Workflow pane: the selected task's workflow as a graph (sequential stages top to
//! bottom, parallel branches side by side), each node with its status, attempts, duration and
//! a spinner while it runs, and for an agent step a line of its turns, cost, tool calls and the
//! call in progress; the selected node's output or error below (an agent's newest transcript
//! lines while it works), and in full in a detail overlay (`enter`), an agent's transcript
//! included. For a task in a worktree its title names the branch, how far it is ahead of and
//! behind its base, its state and the tasks it collides with.

pub mod graph;
mod render;

use crossterm::event::KeyEvent;

use super::{Hint, Outcome};
use crate::protocol::{StepStatus, TaskId, TaskView, TranscriptEntry};
use crate::tui::agent;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::model::Model;
use crate::tui::overlays::{Detail, Layer};
use crate::tui::theme::Role;

/// UI state of the graph: which step is selected, for which task.
#[derive(Debug, Default)]
pub struct WorkflowPane {
    pub task: Option<TaskId>,
    pub selected: Option<String>,
    /// The user moved the selection: it stays where they put it. Otherwise it follows the
    /// step that matters now (running, waiting, failed).
    pub pinned: bool,
}

impl WorkflowPane {
    /// Keeps the user's selection on the same task; otherwise (a new task, or not pinned)
    /// selects the step that matters now.
    pub fn follow(&mut self, detail: Option<&TaskView>) {
        let Some(task) = detail else {
            self.task = None;
            self.selected = None;
            self.pinned = false;
            return;
        };
        let same = self.task.as_ref() == Some(&task.id);
        let known = self
            .selected
            .as_ref()
            .is_some_and(|s| task.steps.iter().any(|x| &x.id == s));
        if same && known && self.pinned {
            return;
        }
        if !same {
            self.pinned = false;
        }
        self.task = Some(task.id.clone());
        let order = graph::selectable(&graph::stages(&task.steps));
        let status = |i: &&usize| task.steps[**i].status;
        let now = order
            .iter()
            .find(|i| matches!(status(i), StepStatus::Running | StepStatus::Waiting));
        let failed = || order.iter().find(|i| status(i) == StepStatus::Failed);
        let last_done = || {
            order
                .iter()
                .rev()
                .find(|i| status(i) != StepStatus::Pending)
        };
        self.selected = now
            .or_else(failed)
            .or_else(last_done)
            .or(order.first())
            .map(|&i| task.steps[i].id.clone());
    }

    pub fn handle_key(&mut self, _key: &KeyEvent, actions: &[Action], model: &Model) -> Outcome {
        let Some(task) = &model.detail else {
            return Outcome::Ignored;
        };
        let order = graph::selectable(&graph::stages(&task.steps));
        let pos = self
            .selected
            .as_ref()
            .and_then(|s| order.iter().position(|&i| &task.steps[i].id == s))
            .unwrap_or(0);
        let last = order.len().saturating_sub(1);
        for action in actions {
            let to = match action {
                Action::Up => pos.saturating_sub(1),
                Action::Down => (pos + 1).min(last),
                Action::Top => 0,
                Action::Bottom => last,
                Action::PageUp => pos.saturating_sub(10),
                Action::PageDown => (pos + 10).min(last),
                Action::Open => {
                    let Some(&i) = order.get(pos) else {
                        return Outcome::Handled;
                    };
                    return Outcome::Open(step_detail(task, i, None));
                }
                _ => continue,
            };
            self.selected = order.get(to).map(|&i| task.steps[i].id.clone());
            self.pinned = true;
            return Outcome::Handled;
        }
        Outcome::Ignored
    }

    pub fn hints(&self, keymap: &Keymap) -> Vec<Hint> {
        vec![
            Hint::moves(keymap, "select a step"),
            Hint::new(
                keymap.keys_of(Action::Open),
                "the step's full output and error",
            ),
            Hint::action(keymap, Action::Diff),
            Hint::action(keymap, Action::MergeTask),
            Hint::action(keymap, Action::DiscardTask),
        ]
    }
}

/// The overlay with everything a step printed; an agent step's with its session and its
/// transcript too (`transcript`: `None` while it is read).
pub fn step_detail(
    task: &TaskView,
    i: usize,
    transcript: Option<&Result<Vec<TranscriptEntry>, String>>,
) -> Layer {
    let step = &task.steps[i];
    let mut head = format!(
        "task {}  ·  step {}  ·  {}  ·  {}  ·  attempts {}",
        task.id, step.id, step.skill, step.status, step.attempts
    );
    if let Some(code) = step.exit_code {
        head.push_str(&format!("  ·  exit {code}"));
    }
    if let Some(choice) = &step.choice {
        head.push_str(&format!("\nchoice: {choice}"));
    }
    let mut parts = vec![(Role::Text, head)];
    if let Some(view) = &step.agent {
        let mut session = format!("agent: {}", agent::session_line(view));
        if let Some(id) = &view.session_id {
            session.push_str(&format!("\nsession: {id}"));
        }
        parts.push((Role::Muted, session));
        match (&view.paused, &view.tool) {
            (Some(why), _) => parts.push((Role::TaskWaiting, format!("paused: {why}"))),
            (None, Some(tool)) if !step.status.is_finished() => {
                parts.push((Role::TaskRunning, format!("now: {tool}")));
            }
            _ => {}
        }
    }
    if let Some(error) = &step.error {
        parts.push((Role::Text, format!("\nerror:\n{error}")));
    }
    if step.agent.is_some() {
        parts.push((Role::Text, "\ntranscript:".into()));
        match transcript {
            None => parts.push((Role::Muted, "  (reading…)".into())),
            Some(Err(e)) => parts.push((Role::Error, format!("  cannot read it: {e}"))),
            Some(Ok(entries)) if entries.is_empty() => {
                parts.push((Role::Muted, "  (nothing yet)".into()));
            }
            Some(Ok(entries)) => parts.extend(agent::transcript_lines(entries)),
        }
    }
    let mut text = format!(
        "\noutput:\n{}",
        step.output.as_deref().unwrap_or("(none yet)")
    );
    if let Some(errors) = step.stderr.as_deref().filter(|e| !e.trim().is_empty()) {
        text.push_str("\n\nstderr:\n");
        text.push_str(errors);
    }
    parts.push((Role::Text, text));
    let mut detail = Detail::from_parts(format!("{} / {}", task.id, step.id), parts);
    if step.agent.is_some() {
        detail.transcript_of = Some((task.id.clone(), step.id.clone()));
    }
    Layer::Detail(detail)
}

/// What the title says after "Workflow": the workflow and the task's status, and for a task in
/// a worktree its branch, ahead/behind, state and collisions first.
pub(super) fn title_parts(task: Option<&TaskView>, width: u16) -> Vec<(Role, String)> {
    let Some(task) = task else {
        return Vec::new();
    };
    let rest = format!("{} · {}", task.workflow, task.status);
    match &task.worktree {
        // The borders' corners, " Workflow " and the space after the parts.
        Some(w) => {
            crate::tui::worktree::title_parts(w, &rest, usize::from(width).saturating_sub(13))
        }
        None => vec![(Role::Muted, rest)],
    }
}

/// The role and mark of a step status.
pub fn step_look(status: StepStatus, frame: usize) -> (Role, &'static str) {
    use crate::tui::fmt::SPINNER;
    match status {
        StepStatus::Pending => (Role::StepPending, "○"),
        StepStatus::Running => (Role::TaskRunning, SPINNER[frame % SPINNER.len()]),
        StepStatus::Waiting => (Role::TaskWaiting, "?"),
        StepStatus::Succeeded => (Role::TaskSucceeded, "✓"),
        StepStatus::Failed => (Role::TaskFailed, "✗"),
        StepStatus::Skipped => (Role::StepSkipped, "↷"),
        StepStatus::Cancelled => (Role::TaskCancelled, "⊘"),
    }
}
