//! `bosun doctor`'s worktree check: a `git` new enough for worktree tasks (2.38, for
//! `git merge-tree --write-tree`), whether the project can have them (in a git checkout), and
//! the worktrees its tasks hold now. Only a warning when it fails: tasks that
//! run in the checkout need none of it.

use super::{Check, Project};
use crate::store::Store;
use crate::store::worktrees::read;

/// The oldest git that computes a merge without a checkout.
const GIT_NEEDED: (u32, u32) = (2, 38);

/// `git version 2.47.3` → (2, 47).
fn version(text: &str) -> Option<(u32, u32)> {
    let number = text.split_whitespace().nth(2)?;
    let mut parts = number.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

async fn inspect(project: &Project) -> Result<String, String> {
    let out = std::process::Command::new("git")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run git ({e}): tasks with `isolation: worktree` need it"))?;
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match version(&said) {
        Some(v) if v >= GIT_NEEDED => {}
        _ => {
            return Err(format!(
                "{said}: tasks with `isolation: worktree` need git {}.{} or later",
                GIT_NEEDED.0, GIT_NEEDED.1
            ));
        }
    }
    let top = crate::worktree::repo_root(&project.paths.root).map_err(|e| e.to_string())?;
    let place = match top {
        None => {
            return Ok(format!(
                "{said}; the project is not a git repository: no worktree tasks"
            ));
        }
        Some(top) if std::fs::canonicalize(&top).ok().as_deref() == Some(&*project.paths.root) => {
            "git repository".to_string()
        }
        Some(top) => format!(
            "git repository {} (the project is inside it)",
            top.display()
        ),
    };
    let store = Store::open(&project.paths.database())
        .await
        .map_err(|e| e.to_string())?;
    let live = read::live(&store.reader).await;
    store.close().await;
    let live = live.map_err(|e| e.to_string())?;
    let mut summary = format!(
        "{said}; {place}; {}",
        crate::text::count(live.len() as i64, "live worktree")
    );
    let conflicted = live
        .iter()
        .filter(|w| w.state == crate::protocol::WorktreeState::Conflicted)
        .count();
    if conflicted > 0 {
        summary.push_str(&format!(", {conflicted} waiting on a conflict"));
    }
    Ok(summary)
}

/// The check, a warning when it fails.
pub(super) async fn worktrees(project: &Project) -> Check {
    let (ok, detail) = match inspect(project).await {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    Check {
        name: "worktrees".into(),
        ok,
        required: false,
        detail,
        agent: None,
    }
}

#[cfg(test)]
mod tests {
    use super::version;

    #[test]
    fn reads_git_versions() {
        assert_eq!(version("git version 2.47.3"), Some((2, 47)));
        assert_eq!(version("git version 2.39.5 (Apple Git-154)"), Some((2, 39)));
        assert!(version("git version 2.37.1").is_some_and(|v| v < super::GIT_NEEDED));
        assert_eq!(version("nonsense"), None);
    }
}
