//! The circuit breaker in front of Redis: after one failed call, calls fail at once (no network)
//! until a retry time; one call then probes, and each failed probe doubles the wait up to a cap.
//! Pure state, so it is tested without a server.

use std::time::{Duration, Instant};

/// The wait before the first probe after Redis went down.
pub const FIRST_RETRY: Duration = Duration::from_millis(250);
/// The longest wait between probes.
pub const MAX_RETRY: Duration = Duration::from_secs(10);

/// Whether a call may go to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Redis is up: call it.
    Go,
    /// Redis is down and this call is the probe.
    Probe,
    /// Redis is down: fail without calling.
    Skip,
}

/// What a call's outcome changed; the link logs only the transitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    None,
    /// It was up and is now down.
    WentDown,
    /// It was down and answers again, after this long.
    CameBack(Duration),
}

#[derive(Debug)]
enum State {
    Up,
    Down { since: Instant, retry_at: Instant },
}

/// Up or down, and when to try again.
#[derive(Debug)]
pub struct Breaker {
    state: State,
    backoff: Duration,
}

impl Default for Breaker {
    fn default() -> Breaker {
        Breaker {
            state: State::Up,
            backoff: FIRST_RETRY,
        }
    }
}

impl Breaker {
    /// Decides about one call at `now`. A probe pushes the retry time on, so calls made while
    /// it is out are skipped rather than piling onto a sick server.
    pub fn admit(&mut self, now: Instant) -> Admit {
        match &mut self.state {
            State::Up => Admit::Go,
            State::Down { retry_at, .. } if now < *retry_at => Admit::Skip,
            State::Down { retry_at, .. } => {
                *retry_at = now + self.backoff;
                Admit::Probe
            }
        }
    }

    pub fn succeeded(&mut self, now: Instant) -> Transition {
        let was = std::mem::replace(&mut self.state, State::Up);
        self.backoff = FIRST_RETRY;
        match was {
            State::Up => Transition::None,
            State::Down { since, .. } => Transition::CameBack(now.saturating_duration_since(since)),
        }
    }

    pub fn failed(&mut self, now: Instant) -> Transition {
        match &mut self.state {
            State::Up => {
                self.backoff = FIRST_RETRY;
                self.state = State::Down {
                    since: now,
                    retry_at: now + self.backoff,
                };
                Transition::WentDown
            }
            State::Down { retry_at, .. } => {
                self.backoff = (self.backoff * 2).min(MAX_RETRY);
                *retry_at = now + self.backoff;
                Transition::None
            }
        }
    }

    pub fn is_down(&self) -> bool {
        matches!(self.state, State::Down { .. })
    }

    /// When the next probe is due, while down.
    pub fn retry_at(&self) -> Option<Instant> {
        match self.state {
            State::Up => None,
            State::Down { retry_at, .. } => Some(retry_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_skips_calls_until_the_retry_time_then_lets_one_probe() {
        let t0 = Instant::now();
        let mut b = Breaker::default();
        assert_eq!(b.admit(t0), Admit::Go);
        assert_eq!(b.failed(t0), Transition::WentDown);
        assert_eq!(b.admit(t0 + Duration::from_millis(10)), Admit::Skip);
        let due = t0 + FIRST_RETRY;
        assert_eq!(b.admit(due), Admit::Probe);
        assert_eq!(b.admit(due), Admit::Skip, "one probe at a time");
        assert_eq!(
            b.succeeded(due + Duration::from_millis(1)),
            Transition::CameBack(FIRST_RETRY + Duration::from_millis(1))
        );
        assert_eq!(b.admit(due), Admit::Go);
    }

    #[test]
    fn failed_probes_back_off_to_the_cap_and_report_down_once() {
        let mut now = Instant::now();
        let mut b = Breaker::default();
        assert_eq!(b.failed(now), Transition::WentDown);
        let mut waits = Vec::new();
        for _ in 0..10 {
            now = b.retry_at().expect("down");
            assert_eq!(b.admit(now), Admit::Probe);
            assert_eq!(b.failed(now), Transition::None, "down is reported once");
            waits.push(b.retry_at().expect("down") - now);
        }
        assert_eq!(waits[0], FIRST_RETRY * 2);
        assert_eq!(waits[1], FIRST_RETRY * 4);
        assert_eq!(*waits.last().expect("waits"), MAX_RETRY);
    }
}
