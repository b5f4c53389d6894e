//! The Tasks pane: the queue, grouped (needs attention / running / queued / done), filtered by
//! status (`s`) and text (`/`), virtualised (only visible rows are drawn), with the selection
//! kept by task id as the list changes. Until the user moves it, the selection follows the
//! newest task, so a watch run that just started (or failed) is the one shown.

mod render;
pub mod rows;

use crossterm::event::{KeyCode, KeyEvent};
use time::OffsetDateTime;

use self::rows::{Row, StatusFilter};
use super::{Hint, Outcome, edit_text};
use crate::protocol::TaskId;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::model::Model;

/// UI state of the task list.
#[derive(Debug, Default)]
pub struct TasksPane {
    pub selected: Option<TaskId>,
    /// The first visible row.
    pub offset: usize,
    pub status: StatusFilter,
    pub text: String,
    /// Typing goes to the text filter.
    pub editing: bool,
    rows: Vec<Row>,
    /// The model version and filters the rows were built from.
    built: Option<(u64, StatusFilter, String)>,
    /// Visible rows, as last laid out.
    pub height: usize,
    selected_pos: Option<usize>,
    /// Descriptions more than one task in the list has (a watch trigger's repeated runs).
    repeated: std::collections::HashSet<String>,
    /// The user moved the selection off the newest task: it stays where they put it. Moving
    /// it back onto the newest task follows again.
    pinned: bool,
}

impl TasksPane {
    /// Rebuilds the rows if the tasks or filters changed, and keeps the selection on the same
    /// task (or, if it left the list, at the same place).
    pub fn refresh(&mut self, model: &Model, now: OffsetDateTime) {
        let key = (model.version, self.status, self.text.clone());
        if self.built.as_ref() == Some(&key) {
            return;
        }
        let old_pos = self.selected_row();
        self.rows = rows::build(&model.tasks, now, self.status, &self.text);
        self.built = Some(key);
        let mut seen = std::collections::HashSet::new();
        self.repeated = model
            .tasks
            .iter()
            .filter(|t| !seen.insert(t.description.as_str()))
            .map(|t| t.description.clone())
            .collect();
        if !self.pinned
            && let Some(newest) = self.newest(model)
        {
            self.selected = Some(newest);
        }
        let still_there = self
            .selected
            .as_ref()
            .is_some_and(|id| self.row_of(model, id).is_some());
        if !still_there {
            let pos = old_pos.unwrap_or(0);
            self.selected = self.task_at_or_after(model, pos.min(self.rows.len()));
        }
        self.scroll_to_selection(model);
    }

    /// The most recently submitted task in the list.
    fn newest(&self, model: &Model) -> Option<TaskId> {
        self.rows
            .iter()
            .filter_map(task_index)
            .max_by_key(|&i| model.tasks[i].seq)
            .map(|i| model.tasks[i].id.clone())
    }

    /// The selection was put on `id` by the user (or for them, as after a submit): it follows
    /// new work again only if that is the newest task.
    pub fn select(&mut self, model: &Model, id: TaskId) {
        self.pinned = self.newest(model).is_some_and(|newest| newest != id);
        self.selected = Some(id);
    }

    /// A task just submitted from here: shown, and the selection follows new work again.
    pub fn follow(&mut self, id: TaskId) {
        self.pinned = false;
        self.selected = Some(id);
    }

    /// Whether the list's end is within a page below the view: time to read older tasks.
    pub fn near_end(&self) -> bool {
        self.offset + 2 * self.height.max(1) >= self.rows.len()
    }

    /// Whether another task in the list has this description.
    pub fn is_repeated(&self, description: &str) -> bool {
        self.repeated.contains(description)
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The row of the selected task, as of the last rebuild or move.
    pub fn selected_row(&self) -> Option<usize> {
        self.selected_pos
    }

    fn row_of(&self, model: &Model, id: &TaskId) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| matches!(r, Row::Task(i) if model.tasks[*i].id == *id))
    }

    /// The first task row at `pos` or after it (else before it).
    fn task_at_or_after(&self, model: &Model, pos: usize) -> Option<TaskId> {
        let after = self.rows[pos.min(self.rows.len())..]
            .iter()
            .find_map(task_index);
        let before = || {
            self.rows[..pos.min(self.rows.len())]
                .iter()
                .rev()
                .find_map(task_index)
        };
        after.or_else(before).map(|i| model.tasks[i].id.clone())
    }

    /// A new height: scrolls from the top again, just far enough to show the selection.
    pub fn resize(&mut self, height: usize, model: &Model) {
        if height != self.height {
            self.height = height;
            self.offset = 0;
            self.scroll_to_selection(model);
        }
    }

    fn scroll_to_selection(&mut self, model: &Model) {
        let height = self.height.max(1);
        self.selected_pos = self.selected.as_ref().and_then(|id| self.row_of(model, id));
        let Some(row) = self.selected_pos else {
            self.offset = self.offset.min(self.rows.len().saturating_sub(height));
            return;
        };
        // Show the group's header when its first task is selected.
        let top = if row > 0 && matches!(self.rows[row - 1], Row::Header { .. }) {
            row - 1
        } else {
            row
        };
        if top < self.offset {
            self.offset = top;
        } else if row >= self.offset + height {
            self.offset = row + 1 - height;
        }
    }

    /// Moves the selection by `delta` task rows (headers are skipped).
    fn step(&mut self, model: &Model, delta: isize) {
        let tasks: Vec<usize> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Row::Task(_)))
            .map(|(pos, _)| pos)
            .collect();
        if tasks.is_empty() {
            return;
        }
        let current = self
            .selected
            .as_ref()
            .and_then(|id| self.row_of(model, id))
            .and_then(|row| tasks.iter().position(|&p| p == row))
            .unwrap_or(0);
        let last = tasks.len() as isize - 1;
        let next = (current as isize + delta).clamp(0, last) as usize;
        if let Some(i) = task_index(&self.rows[tasks[next]]) {
            self.select(model, model.tasks[i].id.clone());
        }
        self.scroll_to_selection(model);
    }

    pub fn handle_key(&mut self, key: &KeyEvent, actions: &[Action], model: &Model) -> Outcome {
        if self.editing {
            return if edit_text(&mut self.text, &mut self.editing, key) {
                Outcome::Handled
            } else {
                Outcome::Ignored
            };
        }
        let page = self.height.max(2) as isize - 1;
        for action in actions {
            match action {
                Action::Up => self.step(model, -1),
                Action::Down => self.step(model, 1),
                Action::PageUp => self.step(model, -page),
                Action::PageDown => self.step(model, page),
                Action::Top => self.step(model, isize::MIN / 2),
                Action::Bottom => self.step(model, isize::MAX / 2),
                Action::Filter => {
                    self.editing = true;
                    self.text.clear();
                }
                Action::StatusFilter => self.status = self.status.next(),
                _ => continue,
            }
            return Outcome::Handled;
        }
        if key.code == KeyCode::Esc && (!self.text.is_empty() || self.status != StatusFilter::All) {
            self.text.clear();
            self.status = StatusFilter::All;
            return Outcome::Handled;
        }
        Outcome::Ignored
    }

    pub fn hints(&self, keymap: &Keymap) -> Vec<Hint> {
        vec![
            Hint::moves(keymap, "select a task"),
            Hint::action(keymap, Action::Filter),
            Hint::action(keymap, Action::StatusFilter),
            Hint::new("esc", "clear the filters"),
            Hint::action(keymap, Action::CancelTask),
            Hint::action(keymap, Action::RerunTask),
            Hint::action(keymap, Action::DismissTask),
            Hint::action(keymap, Action::Diff),
            Hint::action(keymap, Action::MergeTask),
            Hint::action(keymap, Action::DiscardTask),
        ]
    }
}

fn task_index(row: &Row) -> Option<usize> {
    match row {
        Row::Task(i) => Some(*i),
        Row::Header { .. } => None,
    }
}
