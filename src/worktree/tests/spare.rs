//! A spare worktree taken for a task: it lands at the task's path on the task's branch at its
//! base, even when the base moved after the spare was made; one that is not clean is removed,
//! never taken.

use super::{Repo, assert_fsck_clean, commit, git, read, status, write};
use crate::worktree::{make_spare, registered, take_spare};

#[test]
fn a_spare_becomes_the_tasks_worktree_at_its_base() {
    let repo = Repo::new();
    let spare = repo.worktree(".spare");
    make_spare(&repo.root, &spare).expect("spare");
    // main moves on after the spare was made.
    write(&repo.root, "src/lib.rs", "line one\nmoved on\nline three\n");
    let base = commit(&repo.root, "moved on");
    let (path, branch) = (repo.worktree("t-1"), "bosun/t-1".to_string());
    assert!(take_spare(&repo.root, &spare, &path, &branch, &base).expect("take"));
    assert!(!spare.exists());
    assert_eq!(git(&path, &["rev-parse", "HEAD"]), base);
    assert_eq!(git(&path, &["branch", "--show-current"]), branch);
    assert_eq!(
        read(&path, "src/lib.rs"),
        "line one\nmoved on\nline three\n"
    );
    assert_eq!(status(&path), "");
    let listed = registered(&repo.root).expect("list");
    assert!(
        listed
            .iter()
            .any(|w| w.branch.as_deref() == Some(branch.as_str()))
    );
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_fsck_clean(&repo.root);
}

#[test]
fn a_spare_that_is_not_clean_is_removed_not_taken() {
    let repo = Repo::new();
    let spare = repo.worktree(".spare");
    make_spare(&repo.root, &spare).expect("spare");
    write(&spare, "stray.txt", "left by someone\n");
    let base = repo.head("main");
    let (path, branch) = (repo.worktree("t-1"), "bosun/t-1".to_string());
    assert!(!take_spare(&repo.root, &spare, &path, &branch, &base).expect("take"));
    assert!(!spare.exists() && !path.exists());
    assert_eq!(registered(&repo.root).expect("list").len(), 1);
    // No spare at all: nothing to take, nothing done.
    assert!(!take_spare(&repo.root, &spare, &path, &branch, &base).expect("none"));
}
