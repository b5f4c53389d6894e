//! A nudge from other processes: after committing a submission or a cancel request, the CLI
//! sends one datagram to `.bosun/state/engine.sock`, and the engine looks at the store at once
//! instead of at its next poll. The store stays the only channel of truth: a lost nudge (no
//! engine, a full buffer, a path too long for a socket) costs at most one poll interval.

use std::path::{Path, PathBuf};

use tokio::net::UnixDatagram;

use crate::config::ProjectPaths;

/// Where the engine listens.
pub fn socket_path(paths: &ProjectPaths) -> PathBuf {
    paths.state_dir().join("engine.sock")
}

/// The engine's end. Call only while holding the engine lease (it replaces a stale socket).
pub struct WakeListener {
    socket: UnixDatagram,
    path: PathBuf,
}

impl WakeListener {
    pub fn bind(path: &Path) -> std::io::Result<WakeListener> {
        let _ = std::fs::remove_file(path);
        let socket = UnixDatagram::bind(path)?;
        // Only the owner's processes nudge (the state directory is private already).
        std::fs::set_permissions(
            path,
            std::os::unix::fs::PermissionsExt::from_mode(crate::config::private::FILE_MODE),
        )?;
        Ok(WakeListener {
            socket,
            path: path.to_path_buf(),
        })
    }

    /// Waits for the next nudge (and swallows any that queued up behind it).
    pub async fn nudged(&self) {
        let mut buf = [0u8; 16];
        let _ = self.socket.recv(&mut buf).await;
        while self.socket.try_recv(&mut buf).is_ok() {}
    }
}

impl Drop for WakeListener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Nudges the project's engine, if one listens; never fails. Returns whether an engine was
/// listening (the nudge was delivered, or its buffer was full of earlier ones).
pub fn nudge(paths: &ProjectPaths) -> bool {
    let Ok(socket) = std::os::unix::net::UnixDatagram::unbound() else {
        return false;
    };
    match socket.send_to(b"!", socket_path(paths)) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
    }
}
