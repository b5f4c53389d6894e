//! The engine on a full disk, as its front ends see it: whether the disk is full and why, and
//! what a refused request is told.
//!
//! The engine that runs in this process knows exactly: its writer marks the store full while a
//! batch waits for space (see [`crate::store::WriterHandle::disk_full`]). Attached to another
//! process's engine there is no mark to read (nothing can be written to share it), so the
//! filesystem holding the database is asked instead: under [`ATTACHED_FULL_BELOW`] available
//! bytes counts as full, an estimate that can run a little ahead of the engine's own mark.

use super::EngineHandle;
use crate::store::free_space;

/// Free bytes under which an attached front end shows the disk as full.
pub const ATTACHED_FULL_BELOW: u64 = 1024 * 1024;

/// What a front end is told when a request that needs a write is refused because the disk is
/// full; `outcome` says what became of the request ("the task was not queued").
pub fn disk_full_refusal(reason: &str, outcome: &str) -> String {
    format!(
        "The disk is full ({reason}): nothing can be saved, so {outcome}. Free some space; \
         Bosun resumes by itself."
    )
}

impl EngineHandle {
    /// Why the disk holding the database is full, while it is; `None` otherwise.
    pub fn disk_full(&self) -> Option<String> {
        if self.run.is_some() {
            return self.store.writer.disk_full();
        }
        let dir = self.paths.state_dir();
        let free = free_space(&dir).ok()?;
        (free < ATTACHED_FULL_BELOW).then(|| {
            format!(
                "{} KiB left on the filesystem holding {}",
                free / 1024,
                dir.display()
            )
        })
    }
}
