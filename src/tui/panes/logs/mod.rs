//! The Logs pane: the engine's own log lines, engine events and the output of running steps,
//! for everything or for the selected task (`t`); lowest level shown (`l`); follow the newest
//! or stay put (`f`, or scrolling up); a text search (`/`) that keeps only matching lines.
//! Memory is bounded: past `ui.log_lines` the oldest lines go.

mod render;

use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent};

use super::{Hint, Outcome, edit_text};
use crate::protocol::{LogLevel, LogLine, TaskId};
use crate::tui::keymap::{Action, Keymap};

/// UI state and the bounded buffer of lines.
#[derive(Debug)]
pub struct LogsPane {
    lines: VecDeque<LogLine>,
    capacity: usize,
    /// Lines dropped since the start because the buffer was full.
    pub dropped: u64,
    pub follow: bool,
    /// Matching lines between the bottom of the view and the newest line, when not following.
    pub scroll: usize,
    pub min_level: LogLevel,
    /// Only the selected task's lines.
    pub task_only: bool,
    pub search: String,
    pub editing: bool,
    pub height: usize,
}

impl LogsPane {
    pub fn new(capacity: usize) -> LogsPane {
        LogsPane {
            lines: VecDeque::with_capacity(capacity.min(4_096)),
            capacity: capacity.max(1),
            dropped: 0,
            follow: true,
            scroll: 0,
            min_level: LogLevel::Output,
            task_only: false,
            search: String::new(),
            editing: false,
            height: 10,
        }
    }

    /// Adds `line` in the order things happened. Lines come from three sources at different
    /// delays (the engine's log at once, events after a store read, output after a poll), so a
    /// line older than the newest is put before the newer ones, after those of its own time.
    pub fn push(&mut self, line: LogLine) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        let at = self
            .lines
            .iter()
            .rposition(|l| l.at <= line.at)
            .map_or(0, |i| i + 1);
        self.lines.insert(at, line);
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether `line` passes the level, scope and search filters.
    pub fn shows(&self, line: &LogLine, task: Option<&TaskId>) -> bool {
        if line.level < self.min_level {
            return false;
        }
        if self.task_only && line.task_id.as_ref() != task {
            return false;
        }
        if !self.search.is_empty() {
            let needle = self.search.to_lowercase();
            return line.text.to_lowercase().contains(&needle)
                || line.source.to_lowercase().contains(&needle);
        }
        true
    }

    fn matching(&self, task: Option<&TaskId>) -> usize {
        self.lines.iter().filter(|l| self.shows(l, task)).count()
    }

    /// The newest `n` lines logged about step `step` of `task`, oldest first (an agent step's
    /// transcript as it goes), whatever the pane's filters.
    pub fn of_step(&self, task: &TaskId, step: &str, n: usize) -> Vec<&LogLine> {
        let mut out: Vec<&LogLine> = self
            .lines
            .iter()
            .rev()
            .filter(|l| l.source == step && l.task_id.as_ref() == Some(task))
            .take(n)
            .collect();
        out.reverse();
        out
    }

    /// The lines to draw, oldest first: `height` matching lines ending `scroll` from the newest.
    pub fn window(&self, task: Option<&TaskId>, height: usize) -> Vec<&LogLine> {
        let skip = if self.follow { 0 } else { self.scroll };
        let mut out: Vec<&LogLine> = self
            .lines
            .iter()
            .rev()
            .filter(|l| self.shows(l, task))
            .skip(skip)
            .take(height)
            .collect();
        out.reverse();
        out
    }

    pub fn handle_key(
        &mut self,
        key: &KeyEvent,
        actions: &[Action],
        task: Option<&TaskId>,
    ) -> Outcome {
        if self.editing {
            if !edit_text(&mut self.search, &mut self.editing, key) {
                return Outcome::Ignored;
            }
            self.scroll = 0;
            return Outcome::Handled;
        }
        let page = self.height.max(2) - 1;
        for action in actions {
            match action {
                Action::Up | Action::PageUp => {
                    let by = if *action == Action::Up { 1 } else { page };
                    let most = self.matching(task).saturating_sub(self.height);
                    if self.follow {
                        self.follow = false;
                        self.scroll = 0;
                    }
                    self.scroll = (self.scroll + by).min(most);
                }
                Action::Down | Action::PageDown => {
                    let by = if *action == Action::Down { 1 } else { page };
                    self.scroll = self.scroll.saturating_sub(by);
                    if self.scroll == 0 {
                        self.follow = true;
                    }
                }
                Action::Top => {
                    self.follow = false;
                    self.scroll = self.matching(task).saturating_sub(self.height);
                }
                Action::Bottom => {
                    self.follow = true;
                    self.scroll = 0;
                }
                Action::Follow => {
                    self.follow = !self.follow;
                    self.scroll = 0;
                }
                Action::LogLevel => {
                    self.min_level = match self.min_level {
                        LogLevel::Trace => LogLevel::Debug,
                        LogLevel::Debug => LogLevel::Output,
                        LogLevel::Output => LogLevel::Info,
                        LogLevel::Info => LogLevel::Warn,
                        LogLevel::Warn => LogLevel::Error,
                        LogLevel::Error => LogLevel::Trace,
                    }
                }
                Action::LogScope => self.task_only = !self.task_only,
                Action::Filter => {
                    self.editing = true;
                    self.search.clear();
                }
                _ => continue,
            }
            return Outcome::Handled;
        }
        if key.code == KeyCode::Esc && !self.search.is_empty() {
            self.search.clear();
            return Outcome::Handled;
        }
        Outcome::Ignored
    }

    pub fn hints(&self, keymap: &Keymap) -> Vec<Hint> {
        vec![
            Hint::moves(keymap, "scroll (up pauses following)"),
            Hint::action(keymap, Action::Follow),
            Hint::action(keymap, Action::LogLevel),
            Hint::action(keymap, Action::LogScope),
            Hint::new(
                keymap.keys_of(Action::Filter),
                "search: keep only matching lines",
            ),
            Hint::action(keymap, Action::Bottom),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize, level: LogLevel) -> LogLine {
        LogLine {
            at: format!("2026-11-24T10:{:02}:{:02}.000Z", n / 60, n % 60),
            level,
            task_id: None,
            source: "engine".into(),
            text: format!("line {n}"),
        }
    }

    #[test]
    fn the_buffer_is_bounded() {
        let mut pane = LogsPane::new(100);
        for n in 0..1_000 {
            pane.push(line(n, LogLevel::Info));
        }
        assert_eq!(pane.len(), 100);
        assert_eq!(pane.dropped, 900);
        let window = pane.window(None, 3);
        let texts: Vec<&str> = window.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["line 997", "line 998", "line 999"]);
    }

    /// The decision that failed a step comes through a store read, after the engine's own log
    /// line that the task's runner ended: it is still shown first, as it happened first.
    #[test]
    fn lines_are_kept_in_the_order_things_happened() {
        let mut pane = LogsPane::new(100);
        pane.push(line(1, LogLevel::Info));
        pane.push(line(5, LogLevel::Info));
        pane.push(line(3, LogLevel::Info));
        pane.push(line(5, LogLevel::Warn));
        pane.push(line(0, LogLevel::Info));
        let texts: Vec<(&str, LogLevel)> = pane
            .window(None, 10)
            .iter()
            .map(|l| (l.text.as_str(), l.level))
            .collect();
        assert_eq!(
            texts,
            [
                ("line 0", LogLevel::Info),
                ("line 1", LogLevel::Info),
                ("line 3", LogLevel::Info),
                ("line 5", LogLevel::Info),
                ("line 5", LogLevel::Warn),
            ]
        );
    }

    #[test]
    fn scrolling_up_pauses_and_the_bottom_follows_again() {
        let mut pane = LogsPane::new(100);
        pane.height = 3;
        for n in 0..10 {
            pane.push(line(n, LogLevel::Info));
        }
        let key = KeyEvent::from(KeyCode::Char('k'));
        pane.handle_key(&key, &[Action::Up], None);
        assert!(!pane.follow);
        pane.push(line(10, LogLevel::Info));
        let texts: Vec<String> = pane
            .window(None, 3)
            .iter()
            .map(|l| l.text.clone())
            .collect();
        assert_eq!(
            texts,
            ["line 7", "line 8", "line 9"],
            "paused: the view stays put"
        );
        pane.handle_key(&key, &[Action::Bottom], None);
        assert!(pane.follow);
        assert_eq!(pane.window(None, 1)[0].text, "line 10");
    }

    #[test]
    fn level_and_search_filter() {
        let mut pane = LogsPane::new(100);
        pane.push(line(1, LogLevel::Debug));
        pane.push(line(2, LogLevel::Error));
        pane.push(line(3, LogLevel::Info));
        assert_eq!(
            pane.window(None, 10).len(),
            2,
            "debug is below the default level"
        );
        pane.search = "line 3".into();
        assert_eq!(pane.window(None, 10)[0].text, "line 3");
    }
}
