//! Reading the history the first snapshot left in the store: the next page of finished tasks
//! once the list's end comes within a page of the view, and a search of the store for the text
//! filter. One read of each kind at a time; a search whose text changed while it ran is
//! followed by one for the new text.

use super::App;
use crate::protocol::{TaskPage, TaskSummary};
use crate::tui::msg::Effect;
use crate::tui::panes::status_bar::Notice;
use crate::tui::panes::tasks::rows::{Group, StatusFilter};

/// The reads of older tasks in flight or done.
#[derive(Debug, Default)]
pub struct HistoryReads {
    /// A page is being read (or the last read failed: no retry until the next snapshot).
    paging: bool,
    /// The text a search is running for.
    searching: Option<String>,
    /// The text the last search finished for.
    searched: Option<String>,
}

impl App {
    /// What to read next, if anything: only while tasks are left in the store.
    pub(super) fn read_history(&mut self) -> Vec<Effect> {
        let Some(cursor) = self.model.older.clone() else {
            return Vec::new();
        };
        let text = self.tasks.text.trim().to_string();
        let reads = &mut self.history;
        if text.is_empty() {
            // Pages fill the done group, the last one: only worth reading when it is shown.
            let browsing = matches!(
                self.tasks.status,
                StatusFilter::All | StatusFilter::Only(Group::Done)
            );
            if browsing && !reads.paging && self.tasks.near_end() {
                reads.paging = true;
                return vec![Effect::LoadOlder(cursor)];
            }
        } else if reads.searching.is_none() && reads.searched.as_deref() != Some(text.as_str()) {
            reads.searching = Some(text.clone());
            return vec![Effect::SearchTasks(text)];
        }
        Vec::new()
    }

    pub(super) fn on_older(&mut self, page: Result<TaskPage, String>) -> Vec<Effect> {
        match page {
            Ok(page) => {
                self.history.paging = false;
                self.model.apply_page(page);
            }
            Err(e) => self.notice = Some(Notice::Error(format!("cannot read older tasks: {e}"))),
        }
        Vec::new()
    }

    pub(super) fn on_found(
        &mut self,
        text: String,
        tasks: Result<Vec<TaskSummary>, String>,
    ) -> Vec<Effect> {
        self.history.searching = None;
        match tasks {
            Ok(tasks) => self.model.add(tasks),
            Err(e) => self.notice = Some(Notice::Error(format!("cannot search the store: {e}"))),
        }
        self.history.searched = Some(text);
        Vec::new()
    }

    /// A new snapshot starts the history over.
    pub(super) fn reset_history(&mut self) {
        self.history = HistoryReads::default();
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use crate::protocol::{Snapshot, TaskCursor, TaskPage, TaskStatus};
    use crate::tui::msg::{Effect, Msg};
    use crate::tui::{App, fixtures};

    fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
        app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn finished(from: usize, n: usize) -> Vec<crate::protocol::TaskSummary> {
        (from..from + n)
            .map(|i| fixtures::summary(i, TaskStatus::Succeeded, &format!("change {i}"), "ci"))
            .collect()
    }

    fn cursor(seq: i64) -> TaskCursor {
        TaskCursor {
            finished_at: "2026-01-01T00:00:00.000Z".into(),
            seq,
        }
    }

    /// An interface whose first snapshot held 100 finished tasks of a longer history.
    fn app() -> App {
        let mut app = fixtures::app("dark");
        app.update(Msg::Resize(120, 40));
        let snapshot = Snapshot {
            tasks: finished(100, 100),
            inbox: Vec::new(),
            stats: fixtures::stats(),
            last_seq: 1,
            recent: Vec::new(),
            older: Some(cursor(100)),
            logs: Vec::new(),
            last_log: 0,
        };
        let effects = app.update(Msg::Snapshot(Box::new(snapshot)));
        assert!(
            !effects.iter().any(|e| matches!(e, Effect::LoadOlder(_))),
            "the top of the list is in view: nothing more to read yet"
        );
        app
    }

    #[test]
    fn scrolling_to_the_end_reads_the_next_page_once() {
        let mut app = app();
        let effects = key(&mut app, KeyCode::End);
        assert_eq!(
            effects
                .iter()
                .filter(|e| matches!(e, Effect::LoadOlder(c) if *c == cursor(100)))
                .count(),
            1,
            "{effects:?}"
        );
        assert!(
            !key(&mut app, KeyCode::Up)
                .iter()
                .any(|e| matches!(e, Effect::LoadOlder(_))),
            "one page read at a time"
        );
        app.update(Msg::Older(Ok(TaskPage {
            tasks: finished(0, 100),
            next: None,
        })));
        assert_eq!(app.model.tasks.len(), 200);
        assert_eq!(app.model.older, None, "the whole history is read");
        assert!(
            !key(&mut app, KeyCode::End)
                .iter()
                .any(|e| matches!(e, Effect::LoadOlder(_)))
        );
    }

    #[test]
    fn a_text_filter_searches_the_store_for_the_tasks_not_read_yet() {
        let mut app = app();
        key(&mut app, KeyCode::Char('/'));
        let effects = key(&mut app, KeyCode::Char('7'));
        assert!(
            effects.contains(&Effect::SearchTasks("7".into())),
            "{effects:?}"
        );
        // Typed while the search runs: searched for once it is done.
        assert!(
            !key(&mut app, KeyCode::Char('7'))
                .iter()
                .any(|e| matches!(e, Effect::SearchTasks(_)))
        );
        let effects = app.update(Msg::Found {
            text: "7".into(),
            tasks: Ok(finished(7, 1)),
        });
        assert!(
            effects.contains(&Effect::SearchTasks("77".into())),
            "{effects:?}"
        );
        assert!(
            app.model.task(&finished(7, 1)[0].id).is_some(),
            "what the search found is in the list"
        );
    }
}
