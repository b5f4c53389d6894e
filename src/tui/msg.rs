//! What flows through the interface: [`Msg`] in (keys, data from the engine, clock ticks) and
//! [`Effect`] out (what `update` wants done). `update` is pure; the event loop performs effects
//! and turns their results back into messages.

use crossterm::event::KeyEvent;
use time::OffsetDateTime;

use crate::protocol::{
    AnswerRequest, Changes, Health, LogLine, MergeStrategy, Snapshot, StepOutput, SubmitRequest,
    TaskCursor, TaskId, TaskPage, TaskSummary, TaskView, TranscriptEntry, WorkflowInfo,
};

/// Something that happened, for [`super::App::update`].
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    /// The clock moved (animations, countdowns, the status bar's clock).
    Tick(OffsetDateTime),
    /// The time, given before each batch of messages so that what they bring is drawn against
    /// the current clock; redraws nothing by itself.
    Now(OffsetDateTime),
    Snapshot(Box<Snapshot>),
    Changes(Box<Changes>),
    /// The selected task's steps, freshly read.
    Task(Box<TaskView>),
    /// A page of older finished tasks, or why it could not be read.
    Older(Result<TaskPage, String>),
    /// What a search of the store for the filter's text found.
    Found {
        text: String,
        tasks: Result<Vec<TaskSummary>, String>,
    },
    Workflows(Vec<WorkflowInfo>),
    Logs(Vec<LogLine>),
    /// Output so far of running steps: (task, step, attempt, output).
    Outputs(Vec<StepOutput>),
    /// An agent step's transcript, for its output view, or why it could not be read.
    Transcript {
        task: TaskId,
        step: String,
        entries: Result<Vec<TranscriptEntry>, String>,
    },
    /// A task's changes in its worktree, `(stat, patch)` with git's colours, or why they could
    /// not be read.
    Diff {
        task: TaskId,
        diff: Result<(String, String), String>,
    },
    Health(Health),
    /// The outcome of an effect, as a line for the status bar.
    Done(Result<String, String>),
    /// A task was submitted from the form (its id), or the engine refused it.
    Submitted(Result<TaskId, String>),
}

/// What the event loop should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Submit(SubmitRequest),
    Answer(AnswerRequest),
    Cancel(TaskId),
    /// Dismiss a failed task from "needs attention".
    Dismiss(TaskId),
    Rerun(TaskId),
    /// Read one task's steps (for the Workflow pane).
    LoadTask(TaskId),
    /// Read an agent step's transcript (for its output view).
    LoadTranscript {
        task: TaskId,
        step: String,
    },
    /// Read a task's changes in its worktree (for the diff view).
    LoadDiff(TaskId),
    /// Merge a task's branch into its base, as the user confirmed.
    MergeTask {
        id: TaskId,
        how: MergeStrategy,
    },
    /// Remove a task's worktree and branch, as the user confirmed.
    DiscardTask(TaskId),
    /// Read the workflows the form offers.
    LoadWorkflows,
    /// Read the page of finished tasks older than the cursor.
    LoadOlder(TaskCursor),
    /// Search the store for tasks matching the filter's text.
    SearchTasks(String),
    /// Take a whole new snapshot (after missed events).
    Reload,
    /// Ring the bell and/or send a desktop notification.
    Notify {
        bell: bool,
        osc9: Option<String>,
    },
    Suspend,
    /// Redraw everything, not just what changed.
    Clear,
    Quit(QuitMode),
}

/// How the interface ends when work is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitMode {
    /// Stop the engine: running steps are ended and run again at the next start.
    Stop,
    /// Stop here and hand the work to a background `bosun run`.
    Detach,
    /// The attached engine is gone: start one in this interface's process instead.
    TakeOver,
}
