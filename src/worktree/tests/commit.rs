//! Committing a task's work (hooks off, an identity even when none is configured) and
//! recovering a worktree a crash left mid-operation.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;

use super::{Repo, commit, git, status, write};
use crate::worktree::git::TEST_ENV;
use crate::worktree::{Prepared, Strategy, abort_in_progress, commit_all, prepare_merge};

#[test]
fn commit_all_commits_edits_and_new_files_but_not_ignored_ones_and_runs_no_hooks() {
    let repo = Repo::new();
    let (path, _) = repo.task("t-1");
    // A hook that would refuse the commit, and one that would leave a trace: neither runs.
    let hooks = repo.root.join(".git/hooks");
    write(&hooks, "pre-commit", "#!/bin/sh\nexit 1\n");
    let trace = repo.root.join("hook-ran");
    write(
        &hooks,
        "post-commit",
        &format!("#!/bin/sh\ntouch '{}'\n", trace.display()),
    );
    for hook in ["pre-commit", "post-commit"] {
        let executable = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(hooks.join(hook), executable).expect("chmod");
    }
    write(&path, "src/lib.rs", "changed\n");
    write(&path, "new.rs", "new\n");
    write(&path, "out.log", "ignored\n");

    let oid = commit_all(&path, "Task t-1: the work")
        .expect("commit")
        .expect("a commit");
    assert_eq!(oid, git(&path, &["rev-parse", "HEAD"]));
    let files = git(&path, &["show", "--name-only", "--format=%s", "HEAD"]);
    assert_eq!(files, "Task t-1: the work\n\nnew.rs\nsrc/lib.rs");
    assert!(!trace.exists(), "a hook ran");
    assert_eq!(status(&path), "");
    assert_eq!(commit_all(&path, "nothing").expect("clean"), None);
}

#[test]
fn commits_without_a_configured_identity_are_made_as_bosun() {
    let repo = Repo::new();
    git(&repo.root, &["config", "--unset", "user.name"]);
    git(&repo.root, &["config", "--unset", "user.email"]);
    // No auto-detected identity either (host name, passwd), as in a fresh container.
    git(&repo.root, &["config", "user.useConfigOnly", "true"]);
    TEST_ENV.with(|vars| {
        let mut vars = vars.borrow_mut();
        vars.push(("GIT_CONFIG_GLOBAL".into(), Some("/dev/null".into())));
        vars.push(("GIT_CONFIG_NOSYSTEM".into(), Some("1".into())));
        for name in ["EMAIL", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"] {
            vars.push((OsString::from(name), None));
        }
        for name in ["GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"] {
            vars.push((OsString::from(name), None));
        }
    });
    let (path, branch) = repo.task("t-1");
    write(&path, "new.rs", "new\n");
    commit_all(&path, "work")
        .expect("commit")
        .expect("a commit");
    let who = git(&path, &["log", "-1", "--format=%an <%ae>|%cn <%ce>"]);
    assert_eq!(who, "Bosun <bosun@localhost>|Bosun <bosun@localhost>");

    let prepared = prepare_merge(
        &repo.root,
        &path,
        &branch,
        "main",
        Strategy::Squash,
        "squash",
    );
    let Prepared::Ready { new_commit, .. } = prepared.expect("prepare") else {
        panic!("expected a commit");
    };
    let who = git(&path, &["log", "-1", "--format=%an|%cn", &new_commit]);
    assert_eq!(who, "Bosun|Bosun");
}

#[test]
fn a_rebase_or_merge_left_half_done_is_aborted_and_a_stale_lock_removed() {
    let repo = Repo::new();
    let (path, _) = repo.task("t-1");
    write(&path, "src/lib.rs", "line one\ntask\nline three\n");
    let tip = commit(&path, "task");
    write(&repo.root, "src/lib.rs", "line one\nmain\nline three\n");
    commit(&repo.root, "main");

    // An agent killed mid-rebase, on a conflict.
    let rebase = std::process::Command::new("git")
        .arg("-C")
        .arg(&path)
        .args(["rebase", "main"])
        .output()
        .expect("rebase");
    assert!(!rebase.status.success());
    abort_in_progress(&path).expect("abort rebase");
    assert_eq!(git(&path, &["branch", "--show-current"]), "bosun/t-1");
    assert_eq!(git(&path, &["rev-parse", "HEAD"]), tip);
    assert_eq!(status(&path), "");

    // The same with a merge, and with the lock a killed git leaves.
    let merge = std::process::Command::new("git")
        .arg("-C")
        .arg(&path)
        .args(["merge", "main"])
        .output()
        .expect("merge");
    assert!(!merge.status.success());
    let lock = std::path::PathBuf::from(git(&path, &["rev-parse", "--git-path", "index.lock"]));
    let lock = if lock.is_absolute() {
        lock
    } else {
        path.join(lock)
    };
    std::fs::write(&lock, "").expect("lock");
    abort_in_progress(&path).expect("abort merge");
    assert!(!lock.exists());
    assert_eq!(git(&path, &["rev-parse", "HEAD"]), tip);
    assert_eq!(status(&path), "");

    // Nothing in progress: nothing changes.
    abort_in_progress(&path).expect("idle");
    assert_eq!(git(&path, &["rev-parse", "HEAD"]), tip);
}
