//! The `worktree:` settings: how a task that runs in a git worktree of its own gets it
//! (DESIGN.md §9) — its branch's name, the commands that prepare it, its ports.

use serde::{Deserialize, Serialize};

/// `worktree:` resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorktreeSettings {
    /// Put before the task id to name its branch (`bosun/` → `bosun/t-…`); may be empty.
    pub branch_prefix: String,
    /// Commands run (through the policy, as `shell` steps) in a new worktree before the first
    /// step: `npm ci`, `cp .env.example .env`. A failure fails the task and removes it.
    pub setup: Vec<String>,
    /// The first of the ports handed to worktree tasks: each gets `ports_per_task` of its own
    /// from here, as `BOSUN_PORT_BASE`, so parallel dev servers do not fight over one port.
    pub port_base: u16,
    pub ports_per_task: u16,
    /// Keep one worktree checked out ahead of time (`.bosun/worktrees/.spare`), so a task's
    /// start takes it rather than waiting for git to write the whole tree. It costs the disk
    /// space of one checkout; `false` turns it off.
    pub spare: bool,
}

impl Default for WorktreeSettings {
    fn default() -> Self {
        WorktreeSettings {
            branch_prefix: "bosun/".to_string(),
            setup: Vec::new(),
            port_base: 20_000,
            ports_per_task: 10,
            spare: true,
        }
    }
}

/// `worktree:` as one config layer writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialWorktree {
    pub branch_prefix: Option<String>,
    pub setup: Option<Vec<String>>,
    pub port_base: Option<u16>,
    pub ports_per_task: Option<u16>,
    pub spare: Option<bool>,
}

impl WorktreeSettings {
    pub(super) fn apply(&mut self, layer: PartialWorktree) {
        if let Some(prefix) = layer.branch_prefix {
            self.branch_prefix = prefix;
        }
        if let Some(setup) = layer.setup {
            self.setup = setup;
        }
        if let Some(base) = layer.port_base {
            self.port_base = base;
        }
        if let Some(n) = layer.ports_per_task {
            self.ports_per_task = n;
        }
        if let Some(spare) = layer.spare {
            self.spare = spare;
        }
    }

    /// A prefix git would refuse in a branch name, or no ports at all, is refused up front
    /// rather than at the first task's start.
    pub(super) fn check(&self) -> Result<(), String> {
        let p = &self.branch_prefix;
        let bad = p.starts_with('/')
            || p.starts_with('-')
            || p.contains("..")
            || p.contains("//")
            || p.contains("@{")
            || p.chars()
                .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c));
        if bad {
            return Err(format!(
                "worktree.branch_prefix `{p}` cannot start a git branch name"
            ));
        }
        if self.ports_per_task == 0 {
            return Err("worktree.ports_per_task must be at least 1".into());
        }
        if self.setup.iter().any(|c| c.trim().is_empty()) {
            return Err("worktree.setup has an empty command".into());
        }
        Ok(())
    }

    /// The branch of task `id`.
    pub fn branch(&self, id: &str) -> String {
        format!("{}{id}", self.branch_prefix)
    }

    /// The first port of the `slot`th worktree task (wrapping below 65536).
    pub fn port_base_of(&self, slot: u32) -> u32 {
        let span = u32::from(self.ports_per_task);
        let start = u32::from(self.port_base);
        let room = (65_536 - start) / span;
        start + (slot % room.max(1)) * span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_prefix_git_would_refuse() {
        for bad in ["a b/", "-x/", "a..b/", "x~/", "/abs"] {
            let s = WorktreeSettings {
                branch_prefix: bad.into(),
                ..WorktreeSettings::default()
            };
            assert!(s.check().is_err(), "{bad}");
        }
        let none = WorktreeSettings {
            branch_prefix: String::new(),
            ..WorktreeSettings::default()
        };
        assert!(none.check().is_ok());
        assert_eq!(none.branch("t-1"), "t-1");
    }

    #[test]
    fn ports_of_slots_do_not_overlap_and_stay_in_range() {
        let s = WorktreeSettings::default();
        assert_eq!(s.port_base_of(0), 20_000);
        assert_eq!(s.port_base_of(1), 20_010);
        assert!(s.port_base_of(100_000) + 9 < 65_536);
    }
}
