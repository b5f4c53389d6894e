//! How a task's worktree reads in the interface (DESIGN.md §9): its branch, ahead/behind and
//! state in the Workflow pane's title, the tasks it collides with, why a diff, merge or
//! discard cannot be done now, and the diff view's text. Pure text and roles: panes and
//! overlays draw them.
//!
//! The refusals mirror the engine's own rules (`engine::landing`), so that the user is told
//! before a confirmation rather than after it; the engine still checks, and its word wins.

use crate::protocol::{TaskId, WorktreeState, WorktreeView};
use crate::tui::theme::Role;

/// What the user asked to do with a task's branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    Diff,
    Merge,
    Discard,
}

/// `↑2 ↓1`: commits the branch has that its base has not, and the other way round.
pub fn ahead_behind(view: &WorktreeView) -> String {
    format!("↑{} ↓{}", view.ahead, view.behind)
}

/// The role a worktree state is drawn in: waiting on the user stands out, a conflict most.
pub fn state_role(state: WorktreeState) -> Role {
    match state {
        WorktreeState::Creating => Role::TaskQueued,
        WorktreeState::Active | WorktreeState::Merging => Role::TaskRunning,
        WorktreeState::Ready => Role::TaskWaiting,
        WorktreeState::Conflicted => Role::TaskFailed,
        WorktreeState::Merged => Role::TaskSucceeded,
        WorktreeState::Discarded | WorktreeState::Removed => Role::TaskCancelled,
    }
}

/// `⚠ collides with t-…, t-…`, when other tasks in flight change some of the same files.
pub fn collision_note(view: &WorktreeView) -> Option<String> {
    if view.collides.is_empty() {
        return None;
    }
    let ids: Vec<&str> = view.collides.iter().map(|c| c.task_id.as_str()).collect();
    Some(format!("⚠ collides with {}", ids.join(", ")))
}

/// The parts of the Workflow pane's title for a task in a worktree, each with its role, in at
/// most `width` columns where it can: `bosun/t-… ↑2 ↓1 · ready`, then `⚠ collides with t-…`
/// when it does, then `rest` (the workflow and the task's status). What matters for a decision
/// stays longest: when it does not all fit, `rest` goes first, then the collision's words
/// (its ids stay), then the branch's prefix (the task id stays), then the ids (`⚠` stays).
pub fn title_parts(view: &WorktreeView, rest: &str, width: usize) -> Vec<(Role, String)> {
    let ids: Vec<&str> = view.collides.iter().map(|c| c.task_id.as_str()).collect();
    let build = |branch: &str, collision: Option<String>, with_rest: bool| {
        let mut parts = vec![
            (Role::Text, format!("{branch} {}", ahead_behind(view))),
            (Role::Muted, " · ".to_string()),
            (state_role(view.state), view.state.to_string()),
        ];
        if let Some(note) = collision.filter(|_| !ids.is_empty()) {
            parts.push((Role::Muted, " ".to_string()));
            parts.push((Role::LogWarn, note));
        }
        if with_rest {
            parts.push((Role::Muted, format!(" · {rest}")));
        }
        parts
    };
    let len =
        |parts: &[(Role, String)]| -> usize { parts.iter().map(|(_, t)| t.chars().count()).sum() };
    let long = format!("⚠ collides with {}", ids.join(", "));
    let short = format!("⚠ {}", ids.join(","));
    let mark = "⚠".to_string();
    // The branch is its prefix then the task's id (`bosun/t-…`); the id alone still says it.
    let id = view.path.rsplit('/').next().unwrap_or_default();
    let tail = match view.branch.strip_suffix(id) {
        Some(_) if !id.is_empty() => id,
        _ => view.branch.as_str(),
    };
    let tries = [
        (view.branch.as_str(), &long, true),
        (view.branch.as_str(), &long, false),
        (view.branch.as_str(), &short, false),
        (tail, &short, false),
        (tail, &mark, false),
    ];
    for (branch, collision, with_rest) in tries {
        let parts = build(branch, Some(collision.clone()), with_rest);
        if len(&parts) <= width {
            return parts;
        }
    }
    // Cut the branch, keeping a few characters of it.
    let others = len(&build("", Some(mark.clone()), false));
    let room = width.saturating_sub(others).max(4);
    build(&crate::tui::fmt::fit(tail, room), Some(mark), false)
}

/// Why `what` cannot be done to task `id` now, in words the status bar shows; `None` when it
/// can. `view` is the task's worktree, `None` when it runs in the project's checkout.
pub fn refusal(id: &TaskId, view: Option<&WorktreeView>, what: Landing) -> Option<String> {
    let Some(view) = view else {
        return Some(format!(
            "{id} runs in the project's checkout, not in a worktree of its own: it has no \
             branch to {}",
            verb(what)
        ));
    };
    let state = view.state;
    if state.is_gone() {
        return Some(format!(
            "{id}'s worktree was already {state}: its branch is gone"
        ));
    }
    match (what, state) {
        (Landing::Diff, WorktreeState::Creating) => Some(format!(
            "{id}'s worktree is still being made: nothing to diff yet"
        )),
        (Landing::Diff, _) => None,
        (_, WorktreeState::Creating | WorktreeState::Active) => Some(format!(
            "{id} is still running in its worktree: wait for it to end, or cancel it (c) first"
        )),
        (_, WorktreeState::Merging) => Some(format!("{id} is already being merged")),
        (Landing::Merge, _) if view.base.is_none() => Some(format!(
            "{id}'s worktree was made from a commit no branch names: merge its branch `{}` by \
             hand",
            view.branch
        )),
        _ => None,
    }
}

fn verb(what: Landing) -> &'static str {
    match what {
        Landing::Diff => "diff",
        Landing::Merge => "merge",
        Landing::Discard => "discard",
    }
}

/// The diff view's text, each part with its role: a head line (branch, base, ahead/behind,
/// state, files), the collision warning, then git's stat and patch with their own colours.
/// `diff` is `None` while it is read.
pub fn diff_parts(
    view: &WorktreeView,
    diff: Option<&Result<(String, String), String>>,
) -> Vec<(Role, String)> {
    let base = view.base.as_deref().unwrap_or("its base commit");
    let mut parts = vec![(
        Role::Text,
        format!(
            "{} → {base}  ·  {}  ·  {}  ·  {}",
            view.branch,
            ahead_behind(view),
            view.state,
            crate::text::count(
                i64::try_from(view.changed.len()).unwrap_or(i64::MAX),
                "file"
            ),
        ),
    )];
    for collision in &view.collides {
        parts.push((
            Role::LogWarn,
            format!(
                "⚠ {} also changes {}",
                collision.task_id,
                collision.files.join(", ")
            ),
        ));
    }
    if !view.conflicts.is_empty() {
        parts.push((
            Role::TaskFailed,
            format!("the last merge conflicted in {}", view.conflicts.join(", ")),
        ));
    }
    match diff {
        None => parts.push((Role::Muted, "\n(reading the diff…)".into())),
        Some(Err(e)) => parts.push((Role::Error, format!("\ncannot read the diff: {e}"))),
        Some(Ok((stat, patch))) if stat.trim().is_empty() && patch.trim().is_empty() => {
            parts.push((Role::Muted, "\n(no changes yet)".into()));
        }
        Some(Ok((stat, patch))) => {
            parts.push((Role::Text, format!("\n{}", stat.trim_end())));
            parts.push((Role::Text, format!("\n{}", patch.trim_end())));
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Collision;

    fn view(state: WorktreeState) -> WorktreeView {
        WorktreeView {
            path: "/p/.bosun/worktrees/t-00000009".into(),
            branch: "bosun/t-00000009".into(),
            base: Some("main".into()),
            base_commit: Some("abc123".into()),
            state,
            ahead: 2,
            behind: 1,
            changed: vec!["src/lib.rs".into()],
            port_base: 41000,
            collides: Vec::new(),
            conflicts: Vec::new(),
            error: None,
        }
    }

    #[test]
    fn only_a_finished_task_with_a_branch_is_merged_or_discarded() {
        let id = TaskId("t-00000009".into());
        for what in [Landing::Merge, Landing::Discard] {
            assert_eq!(refusal(&id, Some(&view(WorktreeState::Ready)), what), None);
            assert_eq!(
                refusal(&id, Some(&view(WorktreeState::Conflicted)), what),
                None
            );
            for state in [
                WorktreeState::Active,
                WorktreeState::Merging,
                WorktreeState::Merged,
                WorktreeState::Discarded,
            ] {
                assert!(refusal(&id, Some(&view(state)), what).is_some(), "{state}");
            }
        }
        let no_worktree = refusal(&id, None, Landing::Merge).unwrap_or_default();
        assert!(no_worktree.contains("project's checkout"), "{no_worktree}");
        let mut detached = view(WorktreeState::Ready);
        detached.base = None;
        assert!(refusal(&id, Some(&detached), Landing::Merge).is_some());
        assert_eq!(refusal(&id, Some(&detached), Landing::Discard), None);
    }

    #[test]
    fn a_running_task_can_be_diffed_but_a_gone_one_cannot() {
        let id = TaskId("t-00000009".into());
        assert_eq!(
            refusal(&id, Some(&view(WorktreeState::Active)), Landing::Diff),
            None
        );
        let gone = refusal(&id, Some(&view(WorktreeState::Merged)), Landing::Diff);
        assert!(gone.is_some_and(|g| g.contains("already merged")));
    }

    #[test]
    fn the_title_names_the_branch_its_distance_state_and_collisions() {
        let mut v = view(WorktreeState::Ready);
        v.collides = vec![Collision {
            task_id: TaskId("t-00000011".into()),
            files: vec!["src/lib.rs".into()],
        }];
        let text = |v: &WorktreeView, width| -> String {
            title_parts(v, "rust-ci · succeeded", width)
                .into_iter()
                .map(|(_, t)| t)
                .collect()
        };
        assert_eq!(
            text(&v, 100),
            "bosun/t-00000009 ↑2 ↓1 · ready ⚠ collides with t-00000011 · rust-ci · succeeded"
        );
        assert_eq!(
            text(&v, 60),
            "bosun/t-00000009 ↑2 ↓1 · ready ⚠ collides with t-00000011"
        );
        assert_eq!(text(&v, 45), "bosun/t-00000009 ↑2 ↓1 · ready ⚠ t-00000011");
        assert_eq!(text(&v, 40), "t-00000009 ↑2 ↓1 · ready ⚠ t-00000011");
        assert_eq!(text(&v, 27), "t-00000009 ↑2 ↓1 · ready ⚠");
        assert_eq!(text(&v, 20), "t-0… ↑2 ↓1 · ready ⚠");
        v.collides.clear();
        assert_eq!(text(&v, 27), "t-00000009 ↑2 ↓1 · ready");
    }
}
