//! What `/proc` says about a process: its start time, which, with the PID, tells a process that
//! outlived its engine from an unrelated one that reused the PID.

use nix::sys::signal::Signal;

/// The process's start time in clock ticks since boot (field 22 of `/proc/PID/stat`).
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Ends (SIGKILL) the process group led by `pid` if that process is still the one recorded
/// (same start time). Returns whether it was ended.
pub fn end_group_if_ours(pid: i64, recorded_start: Option<i64>) -> bool {
    let Ok(pid) = u32::try_from(pid) else {
        return false;
    };
    let still_ours = match (process_start_time(pid), recorded_start) {
        (Some(now), Some(then)) => i64::try_from(now).ok() == Some(then),
        // The leader is gone; the group may live on without it, and a reused PID would lead a
        // group of its own only if it were a session or group leader, which killpg targets
        // precisely. Without a recorded start time there is nothing to compare.
        (None, _) => true,
        (Some(_), None) => false,
    };
    if still_ours {
        super::signal_group(pid, Signal::SIGKILL);
    }
    still_ours
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_start_time() {
        let me = std::process::id();
        let a = process_start_time(me).expect("own stat");
        assert_eq!(process_start_time(me), Some(a));
        assert_eq!(process_start_time(u32::MAX), None);
    }
}
