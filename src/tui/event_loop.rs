//! The one UI loop (STYLE.md practice 4): `select!` over terminal input, engine events, store
//! changes made by other processes, log lines, effect results and the next tick; drain whatever
//! else is pending; then draw once, and only if something visible changed.
//!
//! Reads of the store are coalesced: one `changes_since` at a time, and one more afterwards if
//! anything changed meanwhile.

use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};

use super::app::App;
use super::msg::{Effect, Msg, QuitMode};
use super::terminal::{TerminalGuard, notify};
use crate::engine::EngineHandle;
use crate::protocol::{LogLine, TaskStatus};

/// How often SQLite and Redis are checked for the status bar.
const HEALTH_EVERY: Duration = Duration::from_secs(5);
/// Events read into the Logs pane at start.
const RECENT_EVENTS: i64 = crate::engine::SNAPSHOT_RECENT;

/// Runs until the user quits; returns how.
pub async fn run(
    guard: &mut TerminalGuard,
    app: &mut App,
    handle: &EngineHandle,
    logs: &mut mpsc::Receiver<LogLine>,
) -> std::io::Result<QuitMode> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();
    let mut input = EventStream::new();
    let mut events = handle.subscribe();
    let mut changes = handle.store_changes();
    let mut health = tokio::time::interval(HEALTH_EVERY);
    let mut refresh = Refresh::default();
    let size = guard.terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    spawn_reload(handle, &tx);
    perform(Effect::LoadWorkflows, handle, &tx, guard)?;
    loop {
        if app.dirty {
            guard.terminal.draw(|frame| app.render(frame))?;
            app.dirty = false;
        }
        let mut msgs = Vec::new();
        let mut want_refresh = false;
        tokio::select! {
            event = input.next() => match event {
                Some(Ok(event)) => msgs.extend(terminal_msg(event)),
                Some(Err(e)) => return Err(e),
                None => return Ok(QuitMode::Stop),
            },
            event = events.recv() => match event {
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => want_refresh = true,
                Err(broadcast::error::RecvError::Closed) => {
                    msgs.push(Msg::Done(Err("the engine stopped".into())));
                    events = handle.subscribe();
                }
            },
            Ok(()) = changes.changed() => want_refresh = true,
            Some(msg) = rx.recv() => msgs.push(msg),
            Some(()) = done_rx.recv() => {
                refresh.in_flight = false;
                want_refresh = std::mem::take(&mut refresh.pending);
            }
            Some(line) = logs.recv() => msgs.push(Msg::Logs(vec![line])),
            _ = health.tick() => spawn_health(handle, &tx),
            () = tokio::time::sleep(app.next_tick()) => {
                msgs.push(Msg::Tick(time::OffsetDateTime::now_utc()));
            }
        }
        // Drain what else is ready, so a burst costs one frame. The stream is polled with this
        // task's waker (not a no-op one, as `now_or_never` would): crossterm's reader thread
        // keeps the waker of the poll that found nothing, and a no-op one would leave the next
        // key unnoticed until something else woke the loop.
        loop {
            tokio::select! {
                biased;
                event = input.next() => match event {
                    Some(Ok(event)) => msgs.extend(terminal_msg(event)),
                    Some(Err(e)) => return Err(e),
                    None => break,
                },
                () = std::future::ready(()) => break,
            }
        }
        while let Ok(msg) = rx.try_recv() {
            msgs.push(msg);
        }
        let mut lines = Vec::new();
        while let Ok(line) = logs.try_recv() {
            lines.push(line);
        }
        if !lines.is_empty() {
            msgs.push(Msg::Logs(lines));
        }
        while events.try_recv().is_ok() {
            want_refresh = true;
        }
        if !msgs.is_empty() {
            app.update(Msg::Now(time::OffsetDateTime::now_utc()));
        }
        for msg in msgs {
            for effect in app.update(msg) {
                if let Effect::Quit(mode) = effect {
                    return Ok(mode);
                }
                if effect == Effect::Suspend || effect == Effect::Clear {
                    app.dirty = true;
                }
                perform(effect, handle, &tx, guard)?;
            }
        }
        // After the batch is folded in, so the read starts from the newest event already seen.
        if want_refresh || (refresh.pending && !refresh.in_flight && app.model.loaded) {
            refresh.request(app, handle, &tx, &done_tx);
        }
    }
}

/// Whether a store read is running, and whether another is wanted after it.
#[derive(Default)]
struct Refresh {
    in_flight: bool,
    pending: bool,
}

impl Refresh {
    fn request(
        &mut self,
        app: &App,
        handle: &EngineHandle,
        tx: &mpsc::UnboundedSender<Msg>,
        done: &mpsc::UnboundedSender<()>,
    ) {
        // Before the first snapshot there is nothing to change: asking from sequence 0 would
        // read a page of the oldest events only to say "too many, reload". The read waits for
        // the snapshot instead.
        if self.in_flight || !app.model.loaded {
            self.pending = true;
            return;
        }
        self.pending = false;
        self.in_flight = true;
        let (since, log) = (app.model.last_seq, app.model.last_log);
        // Also once more after the last step ended, for the lines it printed last.
        let running = app
            .model
            .tasks
            .iter()
            .any(|t| t.status == TaskStatus::Running)
            || app.follows_outputs();
        let (handle, tx, done) = (handle.clone(), tx.clone(), done.clone());
        tokio::spawn(async move {
            match handle.changes_since(since, log).await {
                Ok(changes) => {
                    let _ = tx.send(Msg::Changes(Box::new(changes)));
                }
                Err(e) => {
                    let _ = tx.send(Msg::Done(Err(format!("cannot read the store: {e}"))));
                }
            }
            if running && let Ok(outputs) = handle.running_outputs().await {
                let _ = tx.send(Msg::Outputs(outputs));
            }
            let _ = done.send(());
        });
    }
}

fn terminal_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        _ => None,
    }
}

fn spawn_reload(handle: &EngineHandle, tx: &mpsc::UnboundedSender<Msg>) {
    let (handle, tx) = (handle.clone(), tx.clone());
    tokio::spawn(async move {
        let msg = match handle.snapshot(RECENT_EVENTS).await {
            Ok(snapshot) => Msg::Snapshot(Box::new(snapshot)),
            Err(e) => Msg::Done(Err(format!("cannot read the store: {e}"))),
        };
        let _ = tx.send(msg);
    });
}

fn spawn_health(handle: &EngineHandle, tx: &mpsc::UnboundedSender<Msg>) {
    let (handle, tx) = (handle.clone(), tx.clone());
    tokio::spawn(async move {
        let _ = tx.send(Msg::Health(handle.health().await));
    });
}

/// Does one effect; results come back as messages.
fn perform(
    effect: Effect,
    handle: &EngineHandle,
    tx: &mpsc::UnboundedSender<Msg>,
    guard: &mut TerminalGuard,
) -> std::io::Result<()> {
    let (h, tx) = (handle.clone(), tx.clone());
    match effect {
        Effect::Submit(request) => {
            tokio::spawn(async move {
                let _ = tx.send(Msg::Submitted(h.submit(request).await));
            });
        }
        Effect::Answer(request) => {
            tokio::spawn(async move {
                let result = h
                    .answer(request)
                    .await
                    .map(|o| o.summary())
                    .map_err(|e| e.to_string());
                let _ = tx.send(Msg::Done(result));
            });
        }
        Effect::Cancel(id) => {
            tokio::spawn(async move {
                let result = match h.cancel(id.clone()).await {
                    Ok(true) => Ok(format!("cancelling {id}")),
                    Ok(false) => Err(format!("{id} had already finished")),
                    Err(e) => Err(e),
                };
                let _ = tx.send(Msg::Done(result));
            });
        }
        Effect::Dismiss(id) => {
            tokio::spawn(async move {
                let result = h.dismiss(&id).await.map(|()| format!("dismissed {id}"));
                let _ = tx.send(Msg::Done(result));
            });
        }
        Effect::Rerun(id) => {
            tokio::spawn(async move {
                let _ = tx.send(Msg::Submitted(h.rerun(&id).await));
            });
        }
        Effect::LoadTask(id) => {
            tokio::spawn(async move {
                match h.task(&id).await {
                    Ok(Some(task)) => {
                        let _ = tx.send(Msg::Task(Box::new(task)));
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let _ = tx.send(Msg::Done(Err(format!("cannot read {id}: {e}"))));
                    }
                }
            });
        }
        Effect::LoadTranscript { task, step } => {
            tokio::spawn(async move {
                let entries = h.step_transcript(&task, &step).await;
                let _ = tx.send(Msg::Transcript {
                    task,
                    step,
                    entries,
                });
            });
        }
        Effect::LoadDiff(task) => {
            tokio::spawn(async move {
                let diff = h.task_diff(&task).await;
                let _ = tx.send(Msg::Diff { task, diff });
            });
        }
        Effect::MergeTask { id, how } => {
            // A merge waits its turn in its base's queue: it runs beside the loop, and its
            // outcome (merged, or the conflict that parked it) comes back as a line.
            tokio::spawn(async move {
                let _ = tx.send(Msg::Done(h.merge_task(&id, how).await));
            });
        }
        Effect::DiscardTask(id) => {
            tokio::spawn(async move {
                let _ = tx.send(Msg::Done(h.discard_task(&id).await));
            });
        }
        Effect::LoadWorkflows => {
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Msg::Workflows(h.workflows()));
            });
        }
        Effect::LoadOlder(cursor) => {
            tokio::spawn(async move {
                let page = h.older_tasks(&cursor).await.map_err(|e| e.to_string());
                let _ = tx.send(Msg::Older(page));
            });
        }
        Effect::SearchTasks(text) => {
            tokio::spawn(async move {
                let tasks = h.search_tasks(&text).await.map_err(|e| e.to_string());
                let _ = tx.send(Msg::Found { text, tasks });
            });
        }
        Effect::Reload => spawn_reload(handle, &tx),
        Effect::Notify { bell, osc9 } => notify(bell, osc9.as_deref()),
        Effect::Suspend => guard.suspend()?,
        Effect::Clear => guard.terminal.clear()?,
        Effect::Quit(_) => {}
    }
    Ok(())
}
