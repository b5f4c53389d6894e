//! Folding engine data into the model, and what follows from it: reloading the selected
//! task, a notification for a new batch of questions, and log lines from events and from the
//! output of running steps.

use std::collections::HashSet;

use super::{App, Stream};
use crate::protocol::{
    Changes, EngineEvent, EventEnvelope, LogLevel, LogLine, Snapshot, StepOutput, StepStatus,
    TaskId, TaskView, TranscriptEntry,
};
use crate::tui::msg::Effect;
use crate::tui::overlays::Layer;
use crate::tui::panes::status_bar::Notice;
use crate::tui::panes::workflow::step_detail;

impl App {
    pub(super) fn on_snapshot(&mut self, snapshot: Snapshot) -> Vec<Effect> {
        let recent = snapshot.recent.clone();
        let logged = snapshot.logs.clone();
        self.model.apply_snapshot(snapshot);
        self.reset_history();
        // Questions already open at start do not ring: the user sees them on the screen.
        self.notified_batch = self.model.inbox.iter().map(|q| q.batch).max().unwrap_or(0);
        for event in &recent {
            self.logs.push(event_line(event));
        }
        for line in logged {
            self.logs.push(line);
        }
        self.tasks.refresh(&self.model, self.now);
        self.inbox.follow(&self.model);
        self.reload_detail()
    }

    pub(super) fn on_changes(&mut self, changes: Changes) -> Vec<Effect> {
        if changes.overflow {
            return vec![Effect::Reload];
        }
        let touched = self.model.apply_changes(&changes);
        // What the engine logged about tasks (an agent's text and tool calls): the Logs pane's,
        // and the Workflow pane's for a running agent step.
        let logged = !changes.logs.is_empty();
        for line in changes.logs.iter().cloned() {
            self.logs.push(line);
        }
        if changes.events.is_empty() && touched.is_empty() && changes.inbox.is_none() {
            // Only step output moved (or another process wrote nothing we draw).
            self.dirty = logged;
            return self.reload_running_detail();
        }
        for event in &changes.events {
            self.logs.push(event_line(event));
        }
        self.tasks.refresh(&self.model, self.now);
        self.inbox.follow(&self.model);
        let mut effects = self.notification(&changes.events);
        let selected = self.tasks.selected.as_ref();
        if selected.is_some_and(|id| touched.contains(id)) || self.worktree_moved(&changes.events) {
            effects.extend(self.reload_detail());
        } else {
            effects.extend(self.reload_running_detail());
        }
        effects
    }

    pub(super) fn on_task(&mut self, task: TaskView) -> Vec<Effect> {
        if self.loading.as_ref() == Some(&task.id) {
            self.loading = None;
        }
        if self.tasks.selected.as_ref() == Some(&task.id) {
            self.workflow.follow(Some(&task));
            self.model.detail = Some(task);
        }
        Vec::new()
    }

    pub(super) fn on_submitted(&mut self, result: Result<TaskId, String>) -> Vec<Effect> {
        match result {
            Ok(id) => {
                if matches!(self.layers.last(), Some(Layer::NewTask(_))) {
                    self.layers.pop();
                }
                self.notice = Some(Notice::Ok(format!("submitted {id}")));
                self.tasks.follow(id);
            }
            Err(e) => match self.layers.last_mut() {
                Some(Layer::NewTask(form)) => {
                    form.submitting = false;
                    form.error = Some(e);
                }
                _ => self.notice = Some(Notice::Error(e)),
            },
        }
        Vec::new()
    }

    /// Fills the open output view of an agent step with its transcript.
    pub(super) fn on_transcript(
        &mut self,
        task: &TaskId,
        step: &str,
        entries: &Result<Vec<TranscriptEntry>, String>,
    ) {
        let Some(view) = self.model.detail.as_ref().filter(|t| &t.id == task) else {
            return;
        };
        let Some(i) = view.steps.iter().position(|s| s.id == step) else {
            return;
        };
        let wanted = Some((task.clone(), step.to_string()));
        for layer in &mut self.layers {
            if let Layer::Detail(open) = layer
                && open.transcript_of == wanted
                && let Layer::Detail(fresh) = step_detail(view, i, Some(entries))
            {
                let scroll = open.scroll;
                *open = fresh;
                open.scroll = scroll;
            }
        }
    }

    /// Whether some step's output is still being followed (running, or just finished).
    pub fn follows_outputs(&self) -> bool {
        !self.outputs.is_empty()
    }

    /// New lines of steps' output become log lines: complete lines while a step runs, and
    /// everything left once it has finished (its last line need not end with a newline).
    /// stderr lines are told apart by their source, `step!`.
    pub(super) fn on_outputs(&mut self, outputs: Vec<StepOutput>) {
        let mut live = HashSet::new();
        let mut any = false;
        for out in outputs {
            for (stream, text) in [(Stream::Stdout, &out.output), (Stream::Stderr, &out.stderr)] {
                let key = (out.task_id.clone(), out.step.clone(), out.attempt, stream);
                let seen = self.outputs.get(&key).map(String::as_str).unwrap_or("");
                let fresh = new_part(seen, text);
                let complete = match out.running {
                    true => fresh.rfind('\n').map_or(0, |i| i + 1),
                    false => fresh.len(),
                };
                let source = match stream {
                    Stream::Stdout => out.step.clone(),
                    Stream::Stderr => format!("{}!", out.step),
                };
                for line in fresh[..complete].lines() {
                    any = true;
                    self.logs.push(LogLine {
                        at: crate::time::format_rfc3339(self.now),
                        level: LogLevel::Output,
                        task_id: Some(out.task_id.clone()),
                        source: source.clone(),
                        text: line.to_string(),
                    });
                }
                let keep = text.len() - fresh.len() + complete;
                live.insert(key.clone());
                self.outputs.insert(key, text[..keep].to_string());
            }
        }
        self.outputs.retain(|k, _| live.contains(k));
        self.dirty = any;
    }

    /// Reloads the selected task's steps.
    fn reload_detail(&mut self) -> Vec<Effect> {
        match &self.tasks.selected {
            Some(id) => {
                self.loading = Some(id.clone());
                vec![Effect::LoadTask(id.clone())]
            }
            None => Vec::new(),
        }
    }

    /// Reloads the selected task's steps if one of them is running (its output moves).
    fn reload_running_detail(&mut self) -> Vec<Effect> {
        let running = self
            .model
            .detail
            .as_ref()
            .is_some_and(|t| t.steps.iter().any(|s| s.status == StepStatus::Running));
        if running {
            self.reload_detail()
        } else {
            Vec::new()
        }
    }

    /// A bell or desktop notification when a batch the user was not yet told about opened.
    fn notification(&mut self, events: &[EventEnvelope]) -> Vec<Effect> {
        let newest = events
            .iter()
            .filter_map(|e| match &e.event {
                EngineEvent::EscalationOpened {
                    batch,
                    notify: true,
                    ..
                } => Some(*batch),
                _ => None,
            })
            .max();
        let Some(batch) = newest.filter(|b| *b > self.notified_batch) else {
            return Vec::new();
        };
        self.notified_batch = batch;
        if !self.notify.bell && !self.notify.osc9 {
            return Vec::new();
        }
        let open = self
            .model
            .inbox
            .iter()
            .filter(|q| q.batch == batch)
            .count()
            .max(1);
        let verb = if open == 1 { "waits" } else { "wait" };
        let open = crate::text::count(open as i64, "question");
        let text = format!("Bosun: {open} {verb} in batch {batch}");
        vec![Effect::Notify {
            bell: self.notify.bell,
            osc9: self.notify.osc9.then_some(text),
        }]
    }
}

/// What of `now` is new since `seen`: the rest after `seen` when it is a prefix; else the
/// stored output was cut to its tail, so the longest line-aligned end of `seen` that begins
/// `now` is the overlap, and what follows it is new (all of `now` when nothing overlaps).
fn new_part<'a>(seen: &str, now: &'a str) -> &'a str {
    if let Some(rest) = now.strip_prefix(seen) {
        return rest;
    }
    let starts = seen
        .char_indices()
        .filter(|(_, c)| *c == '\n')
        .map(|(i, _)| i + 1)
        .filter(|&i| i < seen.len());
    for start in starts {
        if let Some(rest) = now.strip_prefix(&seen[start..]) {
            return rest;
        }
    }
    now
}

/// An engine event as a log line.
pub fn event_line(envelope: &EventEnvelope) -> LogLine {
    let (level, text) = envelope.event.describe();
    LogLine {
        at: envelope.at.clone(),
        level,
        task_id: Some(envelope.event.task_id().clone()),
        source: envelope.event.task_id().to_string(),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::new_part;

    /// The test summary is the last line a step prints, often after the last read of its
    /// running output: it is shown once the step has finished, with no newline needed.
    #[test]
    fn the_last_lines_of_a_finished_step_are_shown_once() {
        use crate::protocol::{StepOutput, TaskId};
        use crate::tui::Msg;
        let mut app = crate::tui::fixtures::app("dark");
        let out = |output: &str, running| StepOutput {
            task_id: TaskId("t-1".into()),
            step: "test".into(),
            attempt: 1,
            output: output.into(),
            stderr: String::new(),
            running,
        };
        app.update(Msg::Outputs(vec![out("running 3 tests\npartial", true)]));
        let done = "running 3 tests\npartial line\ntest result: ok. 3 passed";
        app.update(Msg::Outputs(vec![out(done, false)]));
        app.update(Msg::Outputs(vec![out(done, false)]));
        let texts: Vec<String> = app
            .logs
            .window(None, 10)
            .iter()
            .map(|l| l.text.clone())
            .collect();
        assert_eq!(
            texts,
            [
                "running 3 tests",
                "partial line",
                "test result: ok. 3 passed"
            ]
        );
        assert!(app.follows_outputs());
        app.update(Msg::Outputs(Vec::new()));
        assert!(
            !app.follows_outputs(),
            "gone from the reads: no longer followed"
        );
    }

    #[test]
    fn only_new_output_is_taken() {
        assert_eq!(new_part("a\nb\n", "a\nb\nc\n"), "c\n");
        assert_eq!(new_part("", "x\n"), "x\n");
        // The stored output was cut to its tail: what follows the old tail is new.
        assert_eq!(new_part("1\n2\n3\n", "2\n3\n4\n"), "4\n");
    }
}
