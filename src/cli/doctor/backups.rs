//! `bosun doctor`'s backup check: the newest backup and its age, how many are kept and their
//! size. A warning, never a failure, when there is none or the newest is older than it should
//! be: the engine may simply not have run.

use super::{Check, Project};
use crate::backup::catalog;

fn inspect(project: &Project) -> Result<String, String> {
    let all = catalog::list(&project.paths.backups_dir()).map_err(|e| e.to_string())?;
    let interval = project.settings.backup.interval;
    let Some(newest) = catalog::newest_restorable(&all) else {
        return Err(format!(
            "none yet in {} (`bosun backup` takes one; a running engine takes one every {})",
            project.paths.backups_dir().display(),
            humantime::format_duration(interval)
        ));
    };
    let bytes: u64 = all.iter().map(|b| b.size_bytes).sum();
    let encrypted = if newest.encrypted { ", encrypted" } else { "" };
    let summary = format!(
        "newest {} ({}{encrypted}); {} kept, {:.1} MB",
        newest.name,
        newest.age(),
        all.len(),
        bytes as f64 / 1e6
    );
    // Only what changed is backed up: an idle project's newest backup may be old. Said only
    // when the encryption setting and the newest backup disagree.
    let wants_encryption = !project.settings.backup.encrypt.is_empty();
    if wants_encryption != newest.encrypted {
        return Err(format!(
            "{summary}; backup.encrypt {} but the newest backup is {}encrypted",
            if wants_encryption { "is set" } else { "is off" },
            if newest.encrypted { "" } else { "not " }
        ));
    }
    Ok(summary)
}

pub(super) fn backups(project: &Project) -> Check {
    let mut check = super::check("backups", inspect(project));
    check.required = false;
    check
}
