//! Preparing merges (merge, squash, rebase) and landing them on the base branch.

use super::{Repo, assert_fsck_clean, commit, git, read, status, write};
use crate::worktree::{Landed, Prepared, Strategy, commit_all, land, prepare_merge};

/// A task that rewrites line two of `src/lib.rs` and commits it.
fn edit_line_two(repo: &Repo, id: &str, text: &str) -> (std::path::PathBuf, String) {
    let (path, branch) = repo.task(id);
    write(
        &path,
        "src/lib.rs",
        &format!("line one\n{text}\nline three\n"),
    );
    commit_all(&path, &format!("task {id}")).expect("commit");
    (path, branch)
}

fn ready(prepared: Prepared) -> (String, String) {
    match prepared {
        Prepared::Ready {
            new_commit,
            old_commit,
        } => (new_commit, old_commit),
        other => panic!("expected Ready, got {other:?}"),
    }
}

#[test]
fn the_first_of_two_colliding_tasks_merges_and_the_second_conflicts_with_nothing_moved() {
    let repo = Repo::new();
    let (first, b1) = edit_line_two(&repo, "t-1", "first task");
    let (second, b2) = edit_line_two(&repo, "t-2", "second task");
    let start = repo.head("main");

    let merged = prepare_merge(
        &repo.root,
        &first,
        &b1,
        "main",
        Strategy::Merge,
        "Merge t-1",
    );
    let (new, old) = ready(merged.expect("prepare"));
    assert_eq!(old, start);
    // Preparing moved nothing.
    assert_eq!(repo.head("main"), start);
    assert_eq!(
        land(&repo.root, "main", &new, &old).expect("land"),
        Landed::Moved
    );
    assert_eq!(repo.head("main"), new);
    assert_eq!(
        read(&repo.root, "src/lib.rs"),
        "line one\nfirst task\nline three\n"
    );
    assert_eq!(status(&repo.root), "");
    let parents = git(&repo.root, &["log", "-1", "--format=%P", "main"]);
    assert_eq!(parents, format!("{start} {}", repo.head(&b1)));
    assert_eq!(
        git(&repo.root, &["log", "-1", "--format=%s", "main"]),
        "Merge t-1"
    );
    // Landing again (a retry after a crash) finds it done.
    assert_eq!(
        land(&repo.root, "main", &new, &old).expect("again"),
        Landed::Already
    );

    let second_head = git(&second, &["rev-parse", "HEAD"]);
    let conflict = prepare_merge(
        &repo.root,
        &second,
        &b2,
        "main",
        Strategy::Merge,
        "Merge t-2",
    );
    assert_eq!(
        conflict.expect("prepare"),
        Prepared::Conflict {
            files: vec!["src/lib.rs".to_string()]
        }
    );
    assert_eq!(repo.head("main"), new);
    assert_eq!(status(&repo.root), "");
    assert_eq!(status(&second), "");
    assert_eq!(git(&second, &["rev-parse", "HEAD"]), second_head);
    assert_eq!(
        read(&repo.root, "src/lib.rs"),
        "line one\nfirst task\nline three\n"
    );
    assert_fsck_clean(&repo.root);
}

#[test]
fn a_squash_lands_the_whole_task_as_one_commit_on_the_base() {
    let repo = Repo::new();
    let (path, branch) = repo.task("t-1");
    write(&path, "a.txt", "a\n");
    commit(&path, "one");
    write(&path, "b.txt", "b\n");
    commit(&path, "two");
    let start = repo.head("main");

    let prepared = prepare_merge(
        &repo.root,
        &path,
        &branch,
        "main",
        Strategy::Squash,
        "Task t-1",
    );
    let (new, old) = ready(prepared.expect("prepare"));
    land(&repo.root, "main", &new, &old).expect("land");
    assert_eq!(
        git(&repo.root, &["log", "-1", "--format=%P", "main"]),
        start
    );
    assert_eq!(
        git(&repo.root, &["log", "-1", "--format=%B", "main"]),
        "Task t-1"
    );
    assert_eq!(
        repo.head("main^{tree}"),
        repo.head(&format!("{branch}^{{tree}}"))
    );
    assert_eq!(git(&repo.root, &["rev-list", "--count", "main"]), "2");
    assert_eq!(read(&repo.root, "b.txt"), "b\n");
}

#[test]
fn a_rebase_replays_the_task_commits_on_the_base_keeping_authors_and_messages() {
    let repo = Repo::new();
    let (path, branch) = repo.task("t-1");
    write(&path, "a.txt", "a\n");
    git(&path, &["add", "a.txt"]);
    let by_ada = ["-c", "user.name=Ada", "-c", "user.email=ada@example.com"];
    git(
        &path,
        &[&by_ada[..], &["commit", "-q", "-m", "add a\n\nwith a body"]].concat(),
    );
    write(
        &path,
        "src/lib.rs",
        "line one\nline two by the task\nline three\n",
    );
    commit(&path, "edit lib");
    write(&repo.root, "main.txt", "main\n");
    let start = commit(&repo.root, "main moves on");

    let prepared = prepare_merge(
        &repo.root,
        &path,
        &branch,
        "main",
        Strategy::Rebase,
        "unused",
    );
    let (new, old) = ready(prepared.expect("prepare"));
    assert_eq!(old, start);
    land(&repo.root, "main", &new, &old).expect("land");
    let log = git(&repo.root, &["log", "--format=%an|%s|%b", "main"]);
    let lines: Vec<&str> = log.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines,
        vec![
            "Test User|edit lib|",
            "Ada|add a|with a body",
            "Test User|main moves on|",
            "Test User|first|"
        ]
    );
    assert_eq!(git(&repo.root, &["rev-list", "--merges", "main"]), "");
    assert_eq!(repo.head("main~2"), start);
    assert_eq!(read(&repo.root, "main.txt"), "main\n");
    assert_eq!(read(&repo.root, "a.txt"), "a\n");
    assert_eq!(status(&repo.root), "");
    assert_fsck_clean(&repo.root);
}

#[test]
fn a_rebase_of_a_branch_already_on_the_base_is_the_branch_itself() {
    let repo = Repo::new();
    let (path, branch) = edit_line_two(&repo, "t-1", "edited");
    let prepared = prepare_merge(&repo.root, &path, &branch, "main", Strategy::Rebase, "");
    let (new, _) = ready(prepared.expect("prepare"));
    assert_eq!(new, repo.head(&branch));
}

#[test]
fn a_task_with_nothing_new_is_up_to_date_for_every_strategy() {
    let repo = Repo::new();
    let (path, branch) = repo.task("t-1");
    for strategy in [Strategy::Merge, Strategy::Squash, Strategy::Rebase] {
        let prepared = prepare_merge(&repo.root, &path, &branch, "main", strategy, "m");
        assert_eq!(prepared.expect("prepare"), Prepared::UpToDate);
    }
}

#[test]
fn landing_refuses_to_overwrite_the_users_uncommitted_edit_and_keeps_unrelated_ones() {
    let repo = Repo::new();
    let (path, branch) = edit_line_two(&repo, "t-1", "task");
    write(&repo.root, "src/lib.rs", "the user's own edit\n");
    let start = repo.head("main");
    let prepared = prepare_merge(&repo.root, &path, &branch, "main", Strategy::Merge, "m");
    let (new, old) = ready(prepared.expect("prepare"));

    let err = land(&repo.root, "main", &new, &old).expect_err("would overwrite");
    assert!(err.to_string().contains("src/lib.rs"), "{err}");
    assert_eq!(repo.head("main"), start);
    assert_eq!(read(&repo.root, "src/lib.rs"), "the user's own edit\n");

    // An edit elsewhere does not stand in the way, and survives the landing.
    git(&repo.root, &["checkout", "--", "src/lib.rs"]);
    write(&repo.root, "README.md", "# the user's notes\n");
    assert_eq!(
        land(&repo.root, "main", &new, &old).expect("land"),
        Landed::Moved
    );
    assert_eq!(
        read(&repo.root, "src/lib.rs"),
        "line one\ntask\nline three\n"
    );
    assert_eq!(read(&repo.root, "README.md"), "# the user's notes\n");
}

#[test]
fn a_branch_not_checked_out_is_moved_by_compare_and_swap_only_from_where_it_was() {
    let repo = Repo::new();
    git(&repo.root, &["branch", "release"]);
    let (path, branch) = edit_line_two(&repo, "t-1", "task");
    let prepared = prepare_merge(&repo.root, &path, &branch, "release", Strategy::Merge, "m");
    let (new, old) = ready(prepared.expect("prepare"));

    // `release` moves elsewhere meanwhile: nothing lands.
    write(&repo.root, "x.txt", "x\n");
    let elsewhere = commit(&repo.root, "main moves");
    git(&repo.root, &["branch", "--force", "release", &elsewhere]);
    let err = land(&repo.root, "release", &new, &old).expect_err("moved");
    assert!(err.to_string().contains("moved"), "{err}");
    assert_eq!(repo.head("release"), elsewhere);

    git(&repo.root, &["branch", "--force", "release", &old]);
    assert_eq!(
        land(&repo.root, "release", &new, &old).expect("land"),
        Landed::Moved
    );
    assert_eq!(repo.head("release"), new);
    // The main checkout (on `main`) did not change.
    assert_eq!(
        read(&repo.root, "src/lib.rs"),
        "line one\nline two\nline three\n"
    );
    assert_eq!(status(&repo.root), "");
    let reflog = git(&repo.root, &["reflog", "-1", "--format=%gs", "release"]);
    assert_eq!(reflog, "bosun: merge");
}
