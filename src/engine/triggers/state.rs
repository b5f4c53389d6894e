//! One watch trigger's state: changes waiting for quiet, the run it started, and what happens to
//! changes made while that run is in flight. Pure (times are given), so every rule is tested
//! without a file system.
//!
//! The rules:
//! - Changes gather until the trigger's `debounce` passes with no new one; then one task starts
//!   with all of them.
//! - While the trigger's task is in flight (queued, running or waiting), changes follow
//!   `on_busy`: `queue` — one follow-up run when it ends, with every change made meanwhile;
//!   `ignore` — dropped; `restart` — once they have settled, the task is cancelled and the
//!   follow-up starts when it has ended.
//! - No feedback loops: a follow-up started only by changes made during the previous run may
//!   be that run's own doing (a formatter, an agent), so changes made while *it* runs are taken
//!   as its own and start nothing. A workflow that rewrites what it watches thus runs at most
//!   twice per change from outside. A change made while no run is in flight always counts.
//! - A change belongs to the run in flight when it happened (the watcher's timestamp), not when
//!   it was seen; a run is over for this purpose [`SETTLE`] after its end was learned, so late
//!   events of its own last writes are still its own.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::definitions::workflow::OnBusy;
use crate::protocol::TaskId;

/// How long after a run's end its changes may still arrive (the watcher batches for 50–100 ms).
pub const SETTLE: Duration = Duration::from_millis(300);

/// What the dispatcher should do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start a task for these changes; `follow_up` when they were made during the last run.
    Start {
        changed: Vec<String>,
        follow_up: bool,
        self_caused: bool,
    },
    /// Cancel the task in flight (`on_busy: restart`).
    Cancel(TaskId),
}

/// What became of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// It waits for quiet, then starts a task.
    Pending,
    /// It happened during the run in flight and follows `on_busy`.
    DuringRun,
    /// It happened while a run started by the workflow's own changes was in flight.
    OwnChange,
    /// `on_busy: ignore`.
    Dropped,
}

#[derive(Debug)]
struct Run {
    task: TaskId,
    self_caused: bool,
    during: BTreeSet<String>,
    during_quiet_at: Option<Instant>,
    cancel_sent: bool,
    ended_at: Option<Instant>,
}

/// The state of one trigger.
#[derive(Debug, Default)]
pub struct TriggerState {
    pending: BTreeSet<String>,
    quiet_at: Option<Instant>,
    run: Option<Run>,
}

impl TriggerState {
    /// Takes a change to `path` that happened `at`, seen `now`.
    pub fn change(
        &mut self,
        path: &str,
        at: Instant,
        now: Instant,
        debounce: Duration,
        on_busy: OnBusy,
    ) -> Taken {
        if let Some(run) = &mut self.run
            && run.ended_at.is_none_or(|end| at <= end)
        {
            if run.self_caused {
                return Taken::OwnChange;
            }
            if on_busy == OnBusy::Ignore {
                return Taken::Dropped;
            }
            run.during.insert(path.to_string());
            run.during_quiet_at = Some(now + debounce);
            return Taken::DuringRun;
        }
        self.pending.insert(path.to_string());
        self.quiet_at = Some(now + debounce);
        Taken::Pending
    }

    /// The task this trigger started is in flight.
    pub fn started(&mut self, task: TaskId, self_caused: bool) {
        self.run = Some(Run {
            task,
            self_caused,
            during: BTreeSet::new(),
            during_quiet_at: None,
            cancel_sent: false,
            ended_at: None,
        });
    }

    /// `task` ended (any way), learned `now`.
    pub fn ended(&mut self, task: &TaskId, now: Instant) {
        if let Some(run) = &mut self.run
            && &run.task == task
            && run.ended_at.is_none()
        {
            run.ended_at = Some(now);
        }
    }

    /// The task in flight, if any.
    pub fn in_flight(&self) -> Option<&TaskId> {
        self.run
            .as_ref()
            .filter(|r| r.ended_at.is_none())
            .map(|r| &r.task)
    }

    /// What is due at `now`.
    pub fn due(&mut self, now: Instant, on_busy: OnBusy) -> Option<Action> {
        if let Some(run) = &mut self.run {
            match run.ended_at {
                None => {
                    let settled = run.during_quiet_at.is_some_and(|at| at <= now);
                    if settled && on_busy == OnBusy::Restart && !run.cancel_sent {
                        run.cancel_sent = true;
                        return Some(Action::Cancel(run.task.clone()));
                    }
                    return None;
                }
                Some(end) if end + SETTLE > now => return None,
                Some(_) => {}
            }
            let run = self.run.take()?;
            if !run.during.is_empty() {
                // The changes made since the run ended join the follow-up.
                let outside = !self.pending.is_empty();
                let mut changed = run.during;
                changed.append(&mut self.pending);
                self.quiet_at = None;
                return Some(Action::Start {
                    changed: changed.into_iter().collect(),
                    follow_up: true,
                    self_caused: !outside,
                });
            }
        }
        if self.quiet_at.is_some_and(|at| at <= now) && !self.pending.is_empty() {
            self.quiet_at = None;
            return Some(Action::Start {
                changed: std::mem::take(&mut self.pending).into_iter().collect(),
                follow_up: false,
                self_caused: false,
            });
        }
        None
    }

    /// When [`Self::due`] should be asked next.
    pub fn next_deadline(&self) -> Option<Instant> {
        match &self.run {
            Some(run) => match run.ended_at {
                Some(end) => Some(end + SETTLE),
                None if run.cancel_sent => None,
                None => run.during_quiet_at,
            },
            None => self.quiet_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Duration = Duration::from_millis(500);

    fn ms(t0: Instant, n: u64) -> Instant {
        t0 + Duration::from_millis(n)
    }

    fn start(changed: &[&str], follow_up: bool, self_caused: bool) -> Option<Action> {
        Some(Action::Start {
            changed: changed.iter().map(|s| s.to_string()).collect(),
            follow_up,
            self_caused,
        })
    }

    #[test]
    fn a_burst_starts_one_task_after_the_quiet_time() {
        let t0 = Instant::now();
        let mut s = TriggerState::default();
        for i in 0..200 {
            let t = ms(t0, i);
            s.change(&format!("f{}", i % 3), t, t, D, OnBusy::Queue);
        }
        assert_eq!(s.due(ms(t0, 600), OnBusy::Queue), None, "still settling");
        assert_eq!(s.next_deadline(), Some(ms(t0, 699)));
        assert_eq!(
            s.due(ms(t0, 700), OnBusy::Queue),
            start(&["f0", "f1", "f2"], false, false)
        );
        assert_eq!(s.due(ms(t0, 800), OnBusy::Queue), None, "once");
    }

    #[test]
    fn queue_runs_once_more_with_everything_changed_meanwhile() {
        let t0 = Instant::now();
        let mut s = TriggerState::default();
        s.started(TaskId::from("t-1"), false);
        for (i, f) in ["a", "b", "a"].iter().enumerate() {
            let t = ms(t0, i as u64 * 10);
            assert_eq!(s.change(f, t, t, D, OnBusy::Queue), Taken::DuringRun);
        }
        assert_eq!(
            s.due(ms(t0, 2000), OnBusy::Queue),
            None,
            "waits for the run"
        );
        s.ended(&TaskId::from("t-1"), ms(t0, 3000));
        assert_eq!(s.due(ms(t0, 3100), OnBusy::Queue), None, "settling");
        assert_eq!(
            s.due(ms(t0, 3300), OnBusy::Queue),
            start(&["a", "b"], true, true)
        );
    }

    #[test]
    fn ignore_drops_changes_made_during_the_run() {
        let t0 = Instant::now();
        let mut s = TriggerState::default();
        s.started(TaskId::from("t-1"), false);
        assert_eq!(s.change("a", t0, t0, D, OnBusy::Ignore), Taken::Dropped);
        s.ended(&TaskId::from("t-1"), ms(t0, 100));
        assert_eq!(s.due(ms(t0, 1000), OnBusy::Ignore), None);
        assert!(s.in_flight().is_none());
    }

    #[test]
    fn restart_cancels_once_then_starts_with_the_changes() {
        let t0 = Instant::now();
        let mut s = TriggerState::default();
        s.started(TaskId::from("t-1"), false);
        s.change("a", t0, t0, D, OnBusy::Restart);
        assert_eq!(s.due(ms(t0, 100), OnBusy::Restart), None, "settling");
        assert_eq!(
            s.due(ms(t0, 500), OnBusy::Restart),
            Some(Action::Cancel(TaskId::from("t-1")))
        );
        assert_eq!(s.due(ms(t0, 600), OnBusy::Restart), None, "cancelled once");
        s.ended(&TaskId::from("t-1"), ms(t0, 700));
        assert_eq!(
            s.due(ms(t0, 1000), OnBusy::Restart),
            start(&["a"], true, true)
        );
    }

    #[test]
    fn a_run_started_by_its_own_changes_cannot_start_another() {
        let t0 = Instant::now();
        let mut s = TriggerState::default();
        s.started(TaskId::from("t-2"), true);
        assert_eq!(s.change("a", t0, t0, D, OnBusy::Queue), Taken::OwnChange);
        s.ended(&TaskId::from("t-2"), ms(t0, 100));
        // Its last write, seen after its end was learned but made before: still its own.
        assert_eq!(
            s.change("a", ms(t0, 90), ms(t0, 150), D, OnBusy::Queue),
            Taken::OwnChange
        );
        assert_eq!(s.due(ms(t0, 1000), OnBusy::Queue), None);
        // Later, a change from outside starts it again.
        let t = ms(t0, 2000);
        assert_eq!(s.change("a", t, t, D, OnBusy::Queue), Taken::Pending);
        assert_eq!(
            s.due(ms(t0, 2500), OnBusy::Queue),
            start(&["a"], false, false)
        );
    }

    #[test]
    fn a_change_from_outside_after_the_run_makes_the_follow_up_count() {
        let t0 = Instant::now();
        let mut s = TriggerState::default();
        s.started(TaskId::from("t-1"), false);
        s.change("a", t0, t0, D, OnBusy::Queue);
        s.ended(&TaskId::from("t-1"), ms(t0, 100));
        let t = ms(t0, 200);
        assert_eq!(s.change("b", t, t, D, OnBusy::Queue), Taken::Pending);
        assert_eq!(
            s.due(ms(t0, 400), OnBusy::Queue),
            start(&["a", "b"], true, false)
        );
    }
}
