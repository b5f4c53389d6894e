//! The priority queue of tasks waiting to run: highest priority first, then oldest first.
//! Pure data, no I/O.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use crate::protocol::{Priority, TaskId};

/// Tasks waiting for a free workflow slot.
#[derive(Debug, Default)]
pub struct TaskQueue {
    heap: BinaryHeap<(i64, Reverse<i64>, TaskId)>,
    members: HashSet<TaskId>,
}

impl TaskQueue {
    /// Adds a task (by its submission sequence number); a task already queued is ignored.
    pub fn push(&mut self, id: TaskId, priority: Priority, seq: i64) {
        if self.members.insert(id.clone()) {
            self.heap.push((priority.rank(), Reverse(seq), id));
        }
    }

    /// The next task to run.
    pub fn pop(&mut self) -> Option<TaskId> {
        let (_, _, id) = self.heap.pop()?;
        self.members.remove(&id);
        Some(id)
    }

    /// Drops a task (cancelled while queued). The heap entry is skipped lazily.
    pub fn remove(&mut self, id: &TaskId) -> bool {
        if self.members.remove(id) {
            self.heap.retain(|(_, _, queued)| queued != id);
            true
        } else {
            false
        }
    }

    pub fn contains(&self, id: &TaskId) -> bool {
        self.members.contains(id)
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_priority_first_then_oldest_first() {
        let mut q = TaskQueue::default();
        q.push("t-a".into(), Priority::Normal, 1);
        q.push("t-b".into(), Priority::Critical, 3);
        q.push("t-c".into(), Priority::Normal, 2);
        q.push("t-d".into(), Priority::Low, 0);
        q.push("t-a".into(), Priority::Normal, 1);
        assert_eq!(q.len(), 4);
        let order: Vec<String> = std::iter::from_fn(|| q.pop()).map(|t| t.0).collect();
        assert_eq!(order, ["t-b", "t-a", "t-c", "t-d"]);
    }

    #[test]
    fn removed_tasks_never_come_out() {
        let mut q = TaskQueue::default();
        q.push("t-a".into(), Priority::Normal, 1);
        q.push("t-b".into(), Priority::Normal, 2);
        assert!(q.remove(&"t-a".into()));
        assert!(!q.contains(&"t-a".into()));
        assert_eq!(q.pop(), Some("t-b".into()));
        assert_eq!(q.pop(), None);
    }
}
