//! The interface's projection of the engine's state: task rows, the inbox, counts, health and
//! the selected task's steps. It is replaced or patched by messages only; panes read it.

use std::collections::HashMap;

use crate::protocol::{
    Changes, EscalationView, Health, Snapshot, StatsView, TaskCursor, TaskId, TaskPage, TaskStatus,
    TaskSummary, TaskView, WorkflowInfo,
};

/// What the engine told the interface, kept compact (10,000 tasks are a few MB).
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub tasks: Vec<TaskSummary>,
    index: HashMap<TaskId, usize>,
    pub inbox: Vec<EscalationView>,
    pub stats: Option<StatsView>,
    pub health: Health,
    /// The selected task with its steps.
    pub detail: Option<TaskView>,
    pub last_seq: i64,
    /// The newest line the engine logged about tasks that the Logs pane has.
    pub last_log: i64,
    pub workflows: Vec<WorkflowInfo>,
    /// `engine.max_concurrent_workflows`, for `running 2/10`.
    pub limit: usize,
    /// Bumped whenever `tasks` changes, so views built from it know to rebuild.
    pub version: u64,
    /// False until the first snapshot arrived.
    pub loaded: bool,
    /// Where the finished tasks not read yet begin (`None`: every task is here). The first
    /// snapshot holds what is open and the newest finished tasks; older pages are read as the
    /// user scrolls, and a text filter also searches the store.
    pub older: Option<TaskCursor>,
}

/// Tasks by status, for the status bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub running: usize,
    pub queued: usize,
    pub waiting: usize,
    pub failed: usize,
}

impl Model {
    pub fn new(limit: usize) -> Model {
        Model {
            limit,
            ..Model::default()
        }
    }

    pub fn apply_snapshot(&mut self, snapshot: Snapshot) {
        self.tasks = snapshot.tasks;
        self.reindex();
        self.inbox = snapshot.inbox;
        self.stats = Some(snapshot.stats);
        self.last_seq = snapshot.last_seq;
        self.last_log = snapshot.last_log;
        self.older = snapshot.older;
        self.loaded = true;
        self.version += 1;
    }

    /// Folds in a page of older finished tasks.
    pub fn apply_page(&mut self, page: TaskPage) {
        self.add(page.tasks);
        self.older = page.next;
    }

    /// Folds in tasks read from the store (a page, or what a search found); rows already here
    /// are kept, since they are at least as fresh.
    pub fn add(&mut self, tasks: Vec<TaskSummary>) {
        for task in tasks {
            if !self.index.contains_key(&task.id) {
                self.upsert(task);
            }
        }
        self.version += 1;
    }

    /// Tasks in the store, read here or not.
    pub fn total_tasks(&self) -> usize {
        let stored: i64 = self.stats.as_ref().map_or(0, |s| s.tasks.values().sum());
        self.tasks.len().max(usize::try_from(stored).unwrap_or(0))
    }

    /// Patches rows and the inbox; returns the ids of the tasks whose rows changed.
    pub fn apply_changes(&mut self, changes: &Changes) -> Vec<TaskId> {
        let mut touched = Vec::new();
        for task in &changes.tasks {
            if self.task(&task.id) != Some(task) {
                touched.push(task.id.clone());
                self.upsert(task.clone());
            }
        }
        if let Some(inbox) = &changes.inbox {
            self.inbox = inbox.clone();
        }
        self.stats = Some(changes.stats.clone());
        self.last_seq = self.last_seq.max(changes.last_seq);
        self.last_log = self.last_log.max(changes.last_log);
        if !touched.is_empty() {
            self.version += 1;
        }
        touched
    }

    pub fn upsert(&mut self, task: TaskSummary) {
        match self.index.get(&task.id) {
            Some(&i) => self.tasks[i] = task,
            None => {
                self.index.insert(task.id.clone(), self.tasks.len());
                self.tasks.push(task);
            }
        }
    }

    pub fn task(&self, id: &TaskId) -> Option<&TaskSummary> {
        self.index.get(id).map(|&i| &self.tasks[i])
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for t in &self.tasks {
            match t.status {
                TaskStatus::Running => c.running += 1,
                TaskStatus::Queued => c.queued += 1,
                TaskStatus::Waiting => c.waiting += 1,
                TaskStatus::Failed => c.failed += 1,
                _ => {}
            }
        }
        c
    }

    /// Whether anything is in flight (quitting then asks first).
    pub fn work_running(&self) -> bool {
        let c = self.counts();
        c.running + c.waiting > 0
    }

    /// The lowest open batch number: the current batch.
    pub fn current_batch(&self) -> Option<i64> {
        self.inbox.iter().map(|q| q.batch).min()
    }

    fn reindex(&mut self) {
        self.index = self
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
    }
}
