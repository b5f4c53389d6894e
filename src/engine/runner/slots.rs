//! The engine-wide limit on skill processes running at once (`engine.max_parallel_skills`),
//! which a config reload may raise or lower while steps run.
//!
//! Invariant: once every step running at a change has released its slot, no more than the new
//! limit run. Raising adds slots at once. Lowering retires free slots at once; slots held by
//! running steps cannot be taken back, so they are *owed*: each one coming back is retired
//! (whoever acquires it next gives it up and waits again) until the debt is paid.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Slots for skill processes: hold the permit [`SkillSlots::acquire`] returns while one runs.
#[derive(Debug)]
pub struct SkillSlots {
    semaphore: Arc<Semaphore>,
    /// Slots to retire as they come back, after the limit was lowered below what was in use.
    owed: AtomicUsize,
}

impl SkillSlots {
    pub fn new(limit: usize) -> SkillSlots {
        SkillSlots {
            semaphore: Arc::new(Semaphore::new(limit)),
            owed: AtomicUsize::new(0),
        }
    }

    /// Waits for a slot; `None` only if the semaphore was closed (it never is).
    pub async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        loop {
            let permit = self.semaphore.clone().acquire_owned().await.ok()?;
            let retired = self
                .owed
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if !retired {
                return Some(permit);
            }
            permit.forget();
        }
    }

    /// Changes the limit from `old` to `new` (the caller serialises changes and knows `old`).
    pub fn resize(&self, old: usize, new: usize) {
        if new > old {
            // Slots still owed are cancelled first: they were never retired, so they count.
            let mut grow = new - old;
            let before = self
                .owed
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    Some(n.saturating_sub(grow))
                })
                .unwrap_or_default();
            grow -= before.min(grow);
            self.semaphore.add_permits(grow);
        } else if new < old {
            let shrink = old - new;
            let retired = self.semaphore.forget_permits(shrink);
            self.owed.fetch_add(shrink - retired, Ordering::SeqCst);
        }
    }

    /// Slots free right now, less those owed (for tests and diagnostics).
    pub fn free(&self) -> usize {
        self.semaphore
            .available_permits()
            .saturating_sub(self.owed.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    /// A slot now, or `None` if `acquire` would wait.
    fn try_acquire(slots: &SkillSlots) -> Option<OwnedSemaphorePermit> {
        slots.acquire().now_or_never().flatten()
    }

    #[test]
    fn raising_the_limit_adds_slots_at_once() {
        let slots = SkillSlots::new(1);
        let _held = try_acquire(&slots).expect("one slot");
        assert!(try_acquire(&slots).is_none());
        slots.resize(1, 3);
        let _a = try_acquire(&slots).expect("second slot");
        let _b = try_acquire(&slots).expect("third slot");
        assert!(try_acquire(&slots).is_none());
    }

    #[test]
    fn lowering_below_what_runs_retires_slots_as_they_come_back() {
        let slots = SkillSlots::new(3);
        let held: Vec<_> = (0..3).map(|_| try_acquire(&slots).expect("slot")).collect();
        slots.resize(3, 1);
        let mut held = held.into_iter();
        // The first two to come back are retired; the one still running is the new limit.
        drop(held.next());
        assert!(
            try_acquire(&slots).is_none(),
            "the first returned slot is owed"
        );
        drop(held.next());
        assert!(try_acquire(&slots).is_none(), "so is the second");
        drop(held.next());
        let one = try_acquire(&slots).expect("the last one to come back is free");
        assert!(try_acquire(&slots).is_none(), "the limit is now one");
        drop(one);
        assert_eq!(slots.free(), 1);
    }

    #[test]
    fn raising_again_cancels_what_is_owed_before_adding() {
        let slots = SkillSlots::new(4);
        let held: Vec<_> = (0..4).map(|_| try_acquire(&slots).expect("slot")).collect();
        slots.resize(4, 1);
        slots.resize(1, 2);
        // Two owed, not three: four run, the limit is two.
        drop(held);
        let a = try_acquire(&slots).expect("first");
        let b = try_acquire(&slots).expect("second");
        assert!(try_acquire(&slots).is_none(), "the limit is two");
        drop((a, b));
        slots.resize(2, 5);
        assert_eq!(slots.free(), 5);
    }

    #[test]
    fn lowering_with_free_slots_takes_effect_at_once() {
        let slots = SkillSlots::new(5);
        slots.resize(5, 2);
        assert_eq!(slots.free(), 2);
        let _a = try_acquire(&slots).expect("first");
        let _b = try_acquire(&slots).expect("second");
        assert!(try_acquire(&slots).is_none());
    }
}
