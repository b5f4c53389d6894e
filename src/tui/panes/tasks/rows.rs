//! The Tasks pane's rows: tasks grouped as needs attention / running / queued / done, each
//! group in a useful order, filtered by status and text. Rebuilt only when the model's tasks
//! or the filter change; drawing then touches only the visible window.

use time::OffsetDateTime;

use crate::protocol::{TaskStatus, TaskSummary};
use crate::time::parse_rfc3339;

pub use crate::protocol::ATTENTION_WINDOW_SECS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Attention,
    Running,
    Queued,
    Done,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::Attention, Group::Running, Group::Queued, Group::Done];

    pub fn title(self) -> &'static str {
        match self {
            Group::Attention => "needs attention",
            Group::Running => "running",
            Group::Queued => "queued",
            Group::Done => "done",
        }
    }

    pub fn of(task: &TaskSummary, now: OffsetDateTime) -> Group {
        // A branch whose merge conflicted waits on the user, whatever its task's status.
        if task.worktree == Some(crate::protocol::WorktreeState::Conflicted) {
            return Group::Attention;
        }
        match task.status {
            TaskStatus::Waiting => Group::Attention,
            TaskStatus::Failed if task.settled => Group::Done,
            TaskStatus::Failed => {
                let recent = task
                    .finished_at
                    .as_deref()
                    .and_then(parse_rfc3339)
                    .is_none_or(|at| (now - at).whole_seconds() < ATTENTION_WINDOW_SECS);
                if recent {
                    Group::Attention
                } else {
                    Group::Done
                }
            }
            TaskStatus::Running => Group::Running,
            TaskStatus::Queued => Group::Queued,
            TaskStatus::Succeeded | TaskStatus::Cancelled => Group::Done,
        }
    }
}

/// Which groups the list shows (`s` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    All,
    Only(Group),
}

impl StatusFilter {
    pub fn next(self) -> StatusFilter {
        match self {
            StatusFilter::All => StatusFilter::Only(Group::Attention),
            StatusFilter::Only(Group::Attention) => StatusFilter::Only(Group::Running),
            StatusFilter::Only(Group::Running) => StatusFilter::Only(Group::Queued),
            StatusFilter::Only(Group::Queued) => StatusFilter::Only(Group::Done),
            StatusFilter::Only(Group::Done) => StatusFilter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Only(g) => g.title(),
        }
    }
}

/// One line of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Header {
        group: Group,
        count: usize,
    },
    /// An index into the model's tasks.
    Task(usize),
}

/// The rows for `tasks` under the filters.
pub fn build(
    tasks: &[TaskSummary],
    now: OffsetDateTime,
    status: StatusFilter,
    text: &str,
) -> Vec<Row> {
    let needle = text.to_lowercase();
    let mut groups: [Vec<usize>; 4] = Default::default();
    for (i, task) in tasks.iter().enumerate() {
        let group = Group::of(task, now);
        if let StatusFilter::Only(only) = status
            && only != group
        {
            continue;
        }
        if !needle.is_empty() && !matches(task, &needle) {
            continue;
        }
        groups[group as usize].push(i);
    }
    let mut rows = Vec::with_capacity(tasks.len() + 4);
    for group in Group::ALL {
        let members = &mut groups[group as usize];
        if members.is_empty() {
            continue;
        }
        sort(group, members, tasks);
        rows.push(Row::Header {
            group,
            count: members.len(),
        });
        rows.extend(members.iter().map(|&i| Row::Task(i)));
    }
    rows
}

fn matches(task: &TaskSummary, needle: &str) -> bool {
    [
        task.description.as_str(),
        task.workflow.as_str(),
        task.id.as_str(),
        task.status.as_str(),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(needle))
}

/// Attention: waiting first, then the newest failure. Running: longest running first. Queued:
/// the engine's order (priority, then age). Done: newest first.
fn sort(group: Group, members: &mut [usize], tasks: &[TaskSummary]) {
    match group {
        Group::Attention => members.sort_by(|&a, &b| {
            let (a, b) = (&tasks[a], &tasks[b]);
            (b.status == TaskStatus::Waiting)
                .cmp(&(a.status == TaskStatus::Waiting))
                .then_with(|| b.seq.cmp(&a.seq))
        }),
        Group::Running => members.sort_by(|&a, &b| {
            let (a, b) = (&tasks[a], &tasks[b]);
            a.started_at.cmp(&b.started_at).then(a.seq.cmp(&b.seq))
        }),
        Group::Queued => members.sort_by(|&a, &b| {
            let (a, b) = (&tasks[a], &tasks[b]);
            b.priority
                .rank()
                .cmp(&a.priority.rank())
                .then(a.seq.cmp(&b.seq))
        }),
        Group::Done => members.sort_by(|&a, &b| {
            let (a, b) = (&tasks[a], &tasks[b]);
            b.finished_at.cmp(&a.finished_at).then(b.seq.cmp(&a.seq))
        }),
    }
}
