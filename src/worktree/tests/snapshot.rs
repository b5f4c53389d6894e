//! What a worktree changed, read without touching it.

use super::{Repo, commit, git, status, write};
use crate::worktree::{changes, diff};

/// A task worktree with one commit, an unstaged edit, a staged new file, an untracked file and
/// an ignored one; `main` has moved on by one commit of its own.
fn busy_task(repo: &Repo) -> std::path::PathBuf {
    let (path, _) = repo.task("t-1");
    write(
        &path,
        "src/lib.rs",
        "line one\nedited by the task\nline three\n",
    );
    commit(&path, "task edit");
    write(&path, "README.md", "# project\nuncommitted\n");
    write(&path, "staged.rs", "staged\n");
    git(&path, &["add", "staged.rs"]);
    write(&path, "notes/new.md", "untracked\n");
    write(&path, "build.log", "ignored\n");
    write(&repo.root, "main-only.txt", "main\n");
    commit(&repo.root, "main moves on");
    path
}

#[test]
fn changes_include_committed_uncommitted_and_untracked_work_and_touch_nothing() {
    let repo = Repo::new();
    let path = busy_task(&repo);
    let status_before = status(&path);
    let staged_before = git(&path, &["diff", "--cached", "--name-only"]);
    let head_before = git(&path, &["rev-parse", "HEAD"]);

    let found = changes(&path, "main").expect("changes");
    assert_eq!(
        found.files,
        vec!["README.md", "notes/new.md", "src/lib.rs", "staged.rs"]
    );
    assert_eq!((found.ahead, found.behind), (1, 1));
    // The same answer from the base's oid.
    let by_oid = changes(&path, &repo.head("main")).expect("by oid");
    assert_eq!(by_oid, found);

    assert_eq!(status(&path), status_before);
    assert_eq!(
        git(&path, &["diff", "--cached", "--name-only"]),
        staged_before
    );
    assert_eq!(git(&path, &["rev-parse", "HEAD"]), head_before);
    // The snapshot's index is gone from the worktree's git directory.
    let git_dir = git(&path, &["rev-parse", "--absolute-git-dir"]);
    let leftovers: Vec<_> = std::fs::read_dir(git_dir)
        .expect("git dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("bosun-snapshot"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_fresh_worktree_has_no_changes() {
    let repo = Repo::new();
    let (path, _) = repo.task("t-1");
    let found = changes(&path, "main").expect("changes");
    assert!(found.files.is_empty());
    assert_eq!((found.ahead, found.behind), (0, 0));
}

#[test]
fn the_diff_shows_every_change_as_stat_and_patch() {
    let repo = Repo::new();
    let path = busy_task(&repo);
    let before = status(&path);
    let plain = diff(&path, "main", false).expect("diff");
    for file in ["README.md", "notes/new.md", "src/lib.rs", "staged.rs"] {
        assert!(plain.stat.contains(file), "{file} in {}", plain.stat);
    }
    assert!(plain.stat.contains("4 files changed"), "{}", plain.stat);
    assert!(plain.patch.contains("+edited by the task"));
    assert!(plain.patch.contains("-line two"));
    assert!(plain.patch.contains("+untracked"));
    assert!(!plain.patch.contains("main-only.txt"));
    assert!(!plain.patch.contains("build.log"));
    assert!(!plain.patch.contains('\u{1b}'));

    let colored = diff(&path, "main", true).expect("colour");
    assert!(colored.patch.contains("\u{1b}["));
    assert_eq!(status(&path), before);
}

#[test]
fn an_unknown_base_is_an_error_that_names_it() {
    let repo = Repo::new();
    let (path, _) = repo.task("t-1");
    let err = changes(&path, "no-such-branch").expect_err("unknown");
    assert!(err.to_string().contains("`no-such-branch`"), "{err}");
}
