//! One engine per project: `bosun run` (or the TUI) holds an exclusive `flock` on
//! `.bosun/state/engine.lock` for as long as it runs. The kernel drops the lock when the process
//! dies, however it dies, so a crashed engine never blocks the next one.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};

/// The held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct EngineLock {
    _file: Flock<File>,
}

/// Whether another process holds the lock.
#[derive(Debug)]
pub enum LockState {
    Acquired(EngineLock),
    /// Held by the engine whose PID the file names (if it could be read).
    HeldBy(Option<u32>),
}

/// Tries to take the lock without waiting, recording our PID in the file when we get it.
pub fn try_lock(path: &Path) -> std::io::Result<LockState> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(mut locked) => {
            locked.set_len(0)?;
            locked.rewind()?;
            write!(locked, "{}", std::process::id())?;
            locked.flush()?;
            Ok(LockState::Acquired(EngineLock { _file: locked }))
        }
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(LockState::HeldBy(text.trim().parse().ok())),
        Err((_, errno)) => Err(std::io::Error::from(errno)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("engine.lock");
        let first = try_lock(&path).expect("lock");
        assert!(matches!(first, LockState::Acquired(_)));
        match try_lock(&path).expect("lock") {
            LockState::HeldBy(pid) => assert_eq!(pid, Some(std::process::id())),
            LockState::Acquired(_) => panic!("two engines hold the lock"),
        }
        drop(first);
        assert!(matches!(
            try_lock(&path).expect("lock"),
            LockState::Acquired(_)
        ));
    }
}
