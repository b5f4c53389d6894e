//! The application: the model, the panes' UI state, the layer stack and the settings, with the
//! pure `update(Msg) -> Vec<Effect>` (STYLE.md practice 5) and `render(&self)`.
//!
//! - `keys`: routing a key — top layer, focused pane, then global actions.
//! - `data`: folding engine data into the model and deriving effects (load the selected task,
//!   notify about a new batch, log lines from events and step output).
//! - `history`: reading older tasks from the store as the user scrolls or filters.
//! - `landing`: the selected task's branch — its diff, merge and discard.
//! - `render`: the layout (2x2, three columns when wide, one pane when narrow or zoomed).

mod data;
mod history;
mod keys;
mod landing;
mod render;

use std::collections::HashMap;
use std::time::Duration;

use time::{OffsetDateTime, UtcOffset};

pub use render::{Areas, layout};

use super::keymap::Keymap;
use super::model::Model;
use super::msg::{Effect, Msg};
use super::overlays::Layer;
use super::panes::PaneId;
use super::panes::inbox::InboxPane;
use super::panes::logs::LogsPane;
use super::panes::status_bar::Notice;
use super::panes::tasks::TasksPane;
use super::panes::workflow::WorkflowPane;
use super::theme::Theme;
use crate::definitions::workflow::Programs;
use crate::protocol::TaskId;

/// How a new batch of questions interrupts the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifySettings {
    pub bell: bool,
    pub osc9: bool,
}

impl NotifySettings {
    /// From `ui.notify`: `off`, `bell`, `osc9` or `both`.
    pub fn parse(text: &str) -> NotifySettings {
        NotifySettings {
            bell: matches!(text, "bell" | "both"),
            osc9: matches!(text, "osc9" | "both"),
        }
    }
}

/// What the interface is configured with.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub theme: Theme,
    pub keymap: Keymap,
    pub notify: NotifySettings,
    pub log_lines: usize,
    /// `engine.max_concurrent_workflows`.
    pub limit: usize,
    pub offset: UtcOffset,
    /// The engine runs in another process: quitting leaves it running, without asking.
    pub attached: bool,
    /// Where the new-task form looks up a description's first word, to show what `auto` runs.
    pub programs: Programs,
}

/// The whole interface state.
#[derive(Debug)]
pub struct App {
    pub model: Model,
    pub tasks: TasksPane,
    pub workflow: WorkflowPane,
    pub inbox: InboxPane,
    pub logs: LogsPane,
    pub focus: PaneId,
    pub zoom: bool,
    pub layers: Vec<Layer>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub notify: NotifySettings,
    pub now: OffsetDateTime,
    pub offset: UtcOffset,
    pub attached: bool,
    pub programs: Programs,
    /// Advances on each animation tick (the spinner).
    pub frame: usize,
    pub size: (u16, u16),
    pub notice: Option<Notice>,
    /// The notice shown and since when, so that it goes after a while.
    notice_since: Option<(Notice, OffsetDateTime)>,
    /// Set when something visible changed since the last draw.
    pub dirty: bool,
    /// The newest batch the user was interrupted for.
    notified_batch: i64,
    /// The task whose steps were asked for last.
    loading: Option<TaskId>,
    /// The output of running steps as last seen, to log only what is new: what was taken of each step's stdout and stderr, by (task, step, attempt, stream).
    outputs: HashMap<(TaskId, String, i64, Stream), String>,
    /// Reads of the tasks the first snapshot left in the store.
    history: history::HistoryReads,
}

/// How long the status bar keeps an outcome: an error a little longer, to be read.
const NOTICE_OK: Duration = Duration::from_secs(8);
const NOTICE_ERROR: Duration = Duration::from_secs(20);

/// One of a step's two output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stream {
    Stdout,
    Stderr,
}

impl App {
    pub fn new(config: AppConfig, now: OffsetDateTime) -> App {
        App {
            model: Model::new(config.limit),
            tasks: TasksPane::default(),
            workflow: WorkflowPane::default(),
            inbox: InboxPane::default(),
            logs: LogsPane::new(config.log_lines),
            focus: PaneId::Tasks,
            zoom: false,
            layers: Vec::new(),
            keymap: config.keymap,
            theme: config.theme,
            notify: config.notify,
            now,
            offset: config.offset,
            attached: config.attached,
            programs: config.programs,
            frame: 0,
            size: (80, 24),
            notice: None,
            notice_since: None,
            dirty: true,
            notified_batch: 0,
            loading: None,
            outputs: HashMap::new(),
            history: history::HistoryReads::default(),
        }
    }

    /// Clears the status bar's outcome once it has been shown for a while (the help hint comes
    /// back); a new notice starts its own time.
    fn expire_notice(&mut self) {
        let Some(notice) = &self.notice else {
            self.notice_since = None;
            return;
        };
        match &self.notice_since {
            Some((shown, since)) if shown == notice => {
                let keep = match notice {
                    Notice::Ok(_) => NOTICE_OK,
                    Notice::Error(_) => NOTICE_ERROR,
                };
                if (self.now - *since).unsigned_abs() >= keep {
                    self.notice = None;
                    self.notice_since = None;
                }
            }
            _ => self.notice_since = Some((notice.clone(), self.now)),
        }
    }

    /// Folds one message into the state; returns what should be done about it.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        // Handlers may say that this message changed nothing visible, but never undo what an
        // earlier message of the same batch changed.
        let before = self.dirty;
        self.dirty = true;
        let mut effects = match msg {
            Msg::Key(key) => self.on_key(&key),
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.relayout();
                Vec::new()
            }
            Msg::Now(now) => {
                self.now = now;
                self.dirty = false;
                Vec::new()
            }
            Msg::Tick(now) => {
                self.now = now;
                self.frame = self.frame.wrapping_add(1);
                self.expire_notice();
                Vec::new()
            }
            Msg::Snapshot(snapshot) => self.on_snapshot(*snapshot),
            Msg::Changes(changes) => self.on_changes(*changes),
            Msg::Task(task) => self.on_task(*task),
            Msg::Older(page) => self.on_older(page),
            Msg::Found { text, tasks } => self.on_found(text, tasks),
            Msg::Workflows(list) => {
                self.model.workflows = list.clone();
                if let Some(Layer::NewTask(form)) = self.layers.last_mut() {
                    form.workflows = list;
                }
                Vec::new()
            }
            Msg::Logs(lines) => {
                for line in lines {
                    self.logs.push(line);
                }
                Vec::new()
            }
            Msg::Outputs(outputs) => {
                self.on_outputs(outputs);
                Vec::new()
            }
            Msg::Transcript {
                task,
                step,
                entries,
            } => {
                self.on_transcript(&task, &step, &entries);
                Vec::new()
            }
            Msg::Diff { task, diff } => {
                self.on_diff(&task, &diff);
                Vec::new()
            }
            Msg::Health(health) => {
                self.dirty = health != self.model.health;
                if let Some(limit) = health.limit {
                    // The limit follows a live config edit.
                    self.model.limit = limit;
                }
                // Offered once each time the engine goes: `n` leaves the user watching.
                let newly_gone =
                    health.engine_gone.is_some() && self.model.health.engine_gone.is_none();
                if let (true, Some(why)) = (newly_gone, &health.engine_gone) {
                    self.layers.push(Layer::engine_gone(why.clone()));
                    self.dirty = true;
                }
                self.model.health = health;
                Vec::new()
            }
            Msg::Done(result) => {
                self.notice = Some(match result {
                    Ok(text) => Notice::Ok(text),
                    Err(text) => Notice::Error(text),
                });
                Vec::new()
            }
            Msg::Submitted(result) => self.on_submitted(result),
        };
        self.dirty |= before;
        // Filters may have changed; a no-op when neither they nor the tasks did.
        self.tasks.refresh(&self.model, self.now);
        effects.extend(self.read_history());
        effects.extend(self.load_selected());
        effects
    }

    /// How long the loop may sleep before the screen needs a tick: the spinner while work
    /// runs, the countdown while questions wait, else the clock's next minute.
    pub fn next_tick(&self) -> Duration {
        let counts = self.model.counts();
        if counts.running > 0 {
            return Duration::from_millis(200);
        }
        if !self.model.inbox.is_empty() {
            return Duration::from_secs(1);
        }
        let into_minute = u64::from(self.now.second()) * 1_000 + u64::from(self.now.millisecond());
        Duration::from_millis(60_000 - into_minute.min(59_999))
    }

    /// Asks for the selected task's steps when the selection moved to another task.
    fn load_selected(&mut self) -> Vec<Effect> {
        let selected = self.tasks.selected.clone();
        let shown = self.model.detail.as_ref().map(|t| &t.id);
        if selected.is_none() {
            self.model.detail = None;
            self.workflow.follow(None);
            return Vec::new();
        }
        if selected.as_ref() == shown || selected == self.loading {
            return Vec::new();
        }
        self.loading = selected.clone();
        selected.map(Effect::LoadTask).into_iter().collect()
    }

    /// Recomputes what depends on the terminal size.
    fn relayout(&mut self) {
        let areas = layout(self.size, self.focus, self.zoom);
        let inner = |r: Option<ratatui::layout::Rect>| {
            r.map_or(0, |r| usize::from(r.height.saturating_sub(2)))
        };
        self.tasks.refresh(&self.model, self.now);
        self.tasks
            .resize(inner(areas.pane(PaneId::Tasks)), &self.model);
        self.logs.height = inner(areas.pane(PaneId::Logs));
    }
}
