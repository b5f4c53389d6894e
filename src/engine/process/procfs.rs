//! What `/proc` says about a process: its start time, which, with the PID, tells a process that
//! outlived its engine from an unrelated one that reused the PID.

use nix::sys::signal::Signal;

/// The process's start time in clock ticks since boot (field 22 of `/proc/PID/stat`).
pub fn process_start_time(pid: u32) -> Option<u64> {
    stat(pid).map(|(_, start)| start)
}

/// The start time of a process that still runs: `None` when it is gone or a zombie (dead, only
/// not yet reaped by its parent).
pub fn live_process_start_time(pid: u32) -> Option<u64> {
    stat(pid).and_then(|(state, start)| (state != 'Z').then_some(start))
}

/// The state letter (field 3) and start time (field 22) of `/proc/PID/stat`.
fn stat(pid: u32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
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
        assert_eq!(live_process_start_time(me), Some(a));
    }
}

/// Ends (SIGKILL) every process group holding a step process of the project at `root`: a
/// process whose environment has `BOSUN_RUN_ID` set and `BOSUN_PROJECT` equal to `root`. This
/// finds what the PID records cannot — a step cut off before its PID was committed, or the
/// children of a leader that already died. Our own process group is never touched. Returns
/// how many groups were ended.
pub fn end_leftover_groups(root: &std::path::Path) -> usize {
    let own_group = nix::unistd::getpgrp().as_raw();
    let wanted_project = format!("BOSUN_PROJECT={}", root.display());
    let mut groups = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let mut has_run = false;
        let mut same_project = false;
        for var in environ.split(|b| *b == 0) {
            has_run |= var.starts_with(b"BOSUN_RUN_ID=");
            same_project |= var == wanted_project.as_bytes();
        }
        if has_run
            && same_project
            && let Some(group) = process_group(pid)
            && group != own_group
            && group > 1
        {
            groups.insert(group);
        }
    }
    for group in &groups {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(*group), Signal::SIGKILL);
    }
    groups.len()
}

/// The process group of `pid` (field 5 of `/proc/PID/stat`).
fn process_group(pid: u32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

#[cfg(test)]
mod leftover_tests {
    use std::os::unix::process::CommandExt;

    use super::*;

    #[test]
    fn leftover_step_processes_of_this_project_are_ended_and_others_spared() {
        let dir = tempfile::tempdir().expect("tempdir");
        let other = tempfile::tempdir().expect("tempdir");
        let spawn = |project: &std::path::Path| {
            std::process::Command::new("sleep")
                .arg("60")
                .env("BOSUN_RUN_ID", "r-test")
                .env("BOSUN_PROJECT", project)
                .process_group(0)
                .spawn()
                .expect("sleep")
        };
        let mut ours = spawn(dir.path());
        let mut theirs = spawn(other.path());
        // Until a child has exec'd, /proc shows the parent's environment: wait for both.
        for child in [&ours, &theirs] {
            let environ = format!("/proc/{}/environ", child.id());
            for _ in 0..500 {
                let seen = std::fs::read(&environ).unwrap_or_default();
                if seen.windows(12).any(|w| w == b"BOSUN_RUN_ID") {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        assert_eq!(end_leftover_groups(dir.path()), 1);
        let status = ours.wait().expect("wait");
        assert!(!status.success(), "ours was killed");
        assert!(
            theirs.try_wait().expect("try_wait").is_none(),
            "another project's step survives"
        );
        let _ = theirs.kill();
        let _ = theirs.wait();
    }
}
