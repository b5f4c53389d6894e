//! Who the lease row names, and whether that engine can be proved alive or dead from here.
//!
//! A PID means something only on the kernel and in the PID namespace that issued it: the row
//! records the host, the boot and the namespace beside the PID and its start time. On the same
//! host, a row from an earlier boot is dead; in the same boot and namespace, `/proc` decides
//! (gone, a zombie, or a different start time — a reused PID — is dead). Anything else cannot
//! be judged from here, and only the lease's expiry frees it.

use sqlx::{Row, SqliteConnection};

use crate::engine::process::live_process_start_time;
use crate::store::StoreError;

/// Where this process runs, as far as a PID means anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Here {
    pub host: String,
    pub boot_id: Option<String>,
    pub pid_ns: Option<String>,
}

impl Here {
    pub fn current() -> Here {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .ok()
                .map(|text| text.trim().to_string())
                .filter(|text| !text.is_empty())
        };
        Here {
            host: read("/proc/sys/kernel/hostname").unwrap_or_else(|| "unknown host".into()),
            boot_id: read("/proc/sys/kernel/random/boot_id"),
            pid_ns: std::fs::read_link("/proc/self/ns/pid")
                .ok()
                .map(|link| link.display().to_string()),
        }
    }
}

/// What can be known about the engine a row names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Liveness {
    Alive,
    Dead,
    /// Another host or namespace, or no start time to compare: only expiry tells.
    Unknown,
}

/// The `engine_lease` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LeaseRow {
    pub owner: String,
    pub pid: i64,
    pub pid_start: Option<i64>,
    pub host: String,
    pub boot_id: Option<String>,
    pub pid_ns: Option<String>,
    pub expires_at: i64,
}

impl LeaseRow {
    /// This process, as the holder of a lease `owner` valid until `expires_at`.
    pub fn ours(here: &Here, owner: &str, expires_at: i64) -> LeaseRow {
        let pid = std::process::id();
        LeaseRow {
            owner: owner.to_string(),
            pid: i64::from(pid),
            pid_start: live_process_start_time(pid).and_then(|t| i64::try_from(t).ok()),
            host: here.host.clone(),
            boot_id: here.boot_id.clone(),
            pid_ns: here.pid_ns.clone(),
            expires_at,
        }
    }

    pub fn liveness(&self, here: &Here) -> Liveness {
        if self.host != here.host {
            return Liveness::Unknown;
        }
        let (Some(theirs), Some(ours)) = (&self.boot_id, &here.boot_id) else {
            return Liveness::Unknown;
        };
        if theirs != ours {
            // The machine rebooted since: every process of that boot is gone.
            return Liveness::Dead;
        }
        if self.pid_ns.is_none() || self.pid_ns != here.pid_ns {
            return Liveness::Unknown;
        }
        let Ok(pid) = u32::try_from(self.pid) else {
            return Liveness::Unknown;
        };
        match (live_process_start_time(pid), self.pid_start) {
            (None, _) => Liveness::Dead,
            (Some(now), Some(then)) if i64::try_from(now).ok() == Some(then) => Liveness::Alive,
            (Some(_), Some(_)) => Liveness::Dead,
            (Some(_), None) => Liveness::Unknown,
        }
    }

    /// Whether the row still keeps others out at `now_ms`: its engine is alive, or cannot be
    /// judged and its lease has not expired. A live engine on this machine keeps the lease even
    /// past expiry (stopped with SIGSTOP, or starved): its steps may still be running.
    pub fn holds(&self, here: &Here, now_ms: i64) -> bool {
        match self.liveness(here) {
            Liveness::Alive => true,
            Liveness::Dead => false,
            Liveness::Unknown => self.expires_at > now_ms,
        }
    }

    pub fn holder(&self, here: &Here) -> Holder {
        Holder {
            pid: self.pid,
            host: self.host.clone(),
            elsewhere: self.host != here.host,
        }
    }
}

/// The engine that holds a project's lease, as a user is told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: i64,
    pub host: String,
    /// On another host than this process.
    pub elsewhere: bool,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {}", self.pid)?;
        if self.elsewhere {
            write!(f, " on {}", self.host)?;
        }
        Ok(())
    }
}

/// The row, if any.
pub(super) async fn read_row(conn: &mut SqliteConnection) -> Result<Option<LeaseRow>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT owner, pid, pid_start, host, boot_id, pid_ns, expires_at \
         FROM engine_lease WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(LeaseRow {
        owner: row.try_get("owner")?,
        pid: row.try_get("pid")?,
        pid_start: row.try_get("pid_start")?,
        host: row.try_get("host")?,
        boot_id: row.try_get("boot_id")?,
        pid_ns: row.try_get("pid_ns")?,
        expires_at: row.try_get("expires_at")?,
    }))
}

/// Milliseconds since the Unix epoch, the unit of `expires_at`.
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
