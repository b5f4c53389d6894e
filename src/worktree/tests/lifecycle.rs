//! Finding the repository and the base, creating a task's worktree, and removing it from every
//! state a crash can leave.

use super::{Repo, assert_fsck_clean, commit, git, worktree_list, write};
use crate::worktree::{GitError, branch_head, create, remove, repo_root, resolve_base};

#[test]
fn the_repository_is_found_from_a_subdirectory_and_none_outside_one() {
    let repo = Repo::new();
    let sub = repo.root.join("src");
    assert_eq!(repo_root(&sub).expect("root"), Some(repo.root.clone()));
    let elsewhere = tempfile::tempdir().expect("tempdir");
    assert_eq!(repo_root(elsewhere.path()).expect("no repo"), None);
}

#[test]
fn the_base_is_head_or_the_ref_given_with_its_local_branch() {
    let repo = Repo::new();
    let head = repo.head("HEAD");
    let base = resolve_base(&repo.root, None).expect("HEAD");
    assert_eq!(base.commit, head);
    assert_eq!(base.branch.as_deref(), Some("main"));
    assert_eq!(
        resolve_base(&repo.root, Some("main")).expect("main").branch,
        Some("main".to_string())
    );
    git(&repo.root, &["tag", "v1"]);
    let tag = resolve_base(&repo.root, Some("v1")).expect("tag");
    assert_eq!((tag.commit.as_str(), tag.branch), (head.as_str(), None));
    let sha = resolve_base(&repo.root, Some(&head[..10])).expect("sha");
    assert_eq!((sha.commit.as_str(), sha.branch), (head.as_str(), None));
    git(&repo.root, &["checkout", "--quiet", "--detach"]);
    assert_eq!(
        resolve_base(&repo.root, None).expect("detached").branch,
        None
    );

    let unknown = resolve_base(&repo.root, Some("no-such-ref")).expect_err("unknown");
    assert!(
        unknown
            .to_string()
            .contains("`no-such-ref` is not a branch, tag or commit")
    );
}

#[test]
fn a_repository_without_commits_has_no_base_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "--quiet"]);
    let err = resolve_base(dir.path(), None).expect_err("no commit");
    assert!(err.to_string().contains("has no commit yet"), "{err}");
}

#[test]
fn a_task_worktree_is_created_on_its_branch_and_removed_with_it() {
    let repo = Repo::new();
    let (path, branch) = repo.task("t-1");
    assert_eq!(
        super::read(&path, "src/lib.rs"),
        "line one\nline two\nline three\n"
    );
    assert_eq!(git(&path, &["branch", "--show-current"]), branch);
    assert!(worktree_list(&repo.root).contains(&path));

    remove(&repo.root, &path, Some(&branch)).expect("remove");
    assert!(!path.exists());
    assert_eq!(worktree_list(&repo.root), vec![repo.root.clone()]);
    assert_eq!(branch_head(&repo.root, &branch).expect("branch"), None);
    // Idempotent: a second removal (a retry after a crash) finds nothing and succeeds.
    remove(&repo.root, &path, Some(&branch)).expect("again");
    assert_fsck_clean(&repo.root);
}

#[test]
fn creating_over_an_existing_branch_fails_and_names_it() {
    let repo = Repo::new();
    git(&repo.root, &["branch", "bosun/t-1"]);
    let head = repo.head("HEAD");
    let err = create(&repo.root, &repo.worktree("t-1"), "bosun/t-1", &head).expect_err("exists");
    assert!(matches!(err, GitError::Other(_)));
    assert!(
        err.to_string().contains("`bosun/t-1` already exists"),
        "{err}"
    );
    assert!(!repo.worktree("t-1").exists());
}

#[test]
fn removal_finishes_every_state_a_crash_can_leave() {
    let repo = Repo::new();
    let head = repo.head("HEAD");

    // Killed after `worktree add` wrote the directory, before git registered it: a directory
    // git does not know, and the branch.
    let (path, branch) = repo.task("dir-only");
    git(
        &repo.root,
        &["worktree", "remove", "--force", &path.to_string_lossy()],
    );
    write(&path, "half/written.rs", "partial");
    remove(&repo.root, &path, Some(&branch)).expect("dir without registration");
    assert!(!path.exists());
    assert_eq!(branch_head(&repo.root, &branch).expect("branch"), None);

    // The directory deleted by hand: registered without a directory.
    let (path, branch) = repo.task("registration-only");
    std::fs::remove_dir_all(&path).expect("rm");
    remove(&repo.root, &path, Some(&branch)).expect("registration without dir");
    assert_eq!(worktree_list(&repo.root), vec![repo.root.clone()]);
    assert_eq!(branch_head(&repo.root, &branch).expect("branch"), None);

    // Only the branch left, with commits of its own.
    let (path, branch) = repo.task("branch-only");
    write(&path, "new.rs", "work");
    commit(&path, "work");
    git(&repo.root, &["worktree", "remove", &path.to_string_lossy()]);
    remove(&repo.root, &path, Some(&branch)).expect("branch left");
    assert_eq!(branch_head(&repo.root, &branch).expect("branch"), None);

    // Locked, with uncommitted and untracked work in it.
    let (path, branch) = repo.task("locked");
    write(&path, "src/lib.rs", "changed\n");
    write(&path, "untracked.txt", "new\n");
    git(&repo.root, &["worktree", "lock", &path.to_string_lossy()]);
    remove(&repo.root, &path, Some(&branch)).expect("locked and dirty");
    assert!(!path.exists());

    // After all of it the same task can be created again from scratch.
    create(&repo.root, &path, &branch, &head).expect("recreate");
    assert_eq!(worktree_list(&repo.root), vec![repo.root.clone(), path]);
    assert_fsck_clean(&repo.root);
    assert_eq!(super::status(&repo.root), "");
}

#[test]
fn removal_refuses_the_main_checkout() {
    let repo = Repo::new();
    let err = remove(&repo.root, &repo.root, None).expect_err("the repository");
    assert!(err.to_string().contains("refusing to remove"), "{err}");
    let parent = repo.root.parent().expect("parent").to_path_buf();
    assert!(remove(&repo.root, &parent, None).is_err());
    assert!(repo.root.join("src/lib.rs").exists());
}
