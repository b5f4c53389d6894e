//! Worktrees after `kill -9` (DESIGN.md §7, §9): a worktree half-made, a task cut off in its
//! worktree, and a merge cut off after its base moved — each put right at the next start, with
//! the repository consistent (`git fsck`, `git worktree list`) and nothing merged twice.

mod support;

use std::time::Duration;

use bosun::protocol::{MergeStrategy, TaskId};
use bosun::store::worktrees::{WorktreeOp, read};
use bosun::store::{Store, WriteOp};
use support::git::{assert_consistent, branches, git, repo, worktree_workflow, worktrees};

const LIMIT: Duration = Duration::from_secs(30);

fn state(project: &support::Project, id: &str) -> String {
    project.show(id)["worktree"]["state"]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

async fn store(project: &support::Project) -> Store {
    Store::open(&project.path(".bosun/state/bosun.db"))
        .await
        .expect("store")
}

/// Runs `f` on a runtime of its own (the engine under test is another process).
fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn a_half_made_worktree_is_made_again_and_a_stray_one_removed() {
    let project = repo(&[("a.txt", "a\n")]);
    let root = project.root().to_path_buf();
    worktree_workflow(&project, "edit", "echo b > a.txt");
    let id = project.submit(&["-w", "edit", "edit"]);
    // As a crash leaves it: recorded, git half-way (registered, branch made, nothing noted).
    let path = project.path(&format!(".bosun/worktrees/{id}"));
    block(async {
        let store = store(&project).await;
        store
            .writer
            .write(vec![WriteOp::Worktree(WorktreeOp::Record {
                task_id: TaskId(id.clone()),
                path: path.display().to_string(),
                branch: format!("bosun/{id}"),
                port_start: 20_000,
                ports_per_task: 10,
                at: "2026-12-03T00:00:00Z".into(),
            })])
            .await
            .expect("record");
        store.close().await;
    });
    let branch = format!("bosun/{id}");
    git(
        &root,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            &branch,
            &path.to_string_lossy(),
            "main",
        ],
    );
    // And one that no task owns.
    let stray = project.path(".bosun/worktrees/t-nobody");
    git(
        &root,
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            &stray.to_string_lossy(),
            "main",
        ],
    );

    let engine = project.start_engine(&[]);
    let task = project.wait_finished(&id, LIMIT);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    support::eventually(LIMIT, "the task's worktree is ready", || {
        state(&project, &id) == "ready"
    });
    support::eventually(LIMIT, "the stray worktree is removed", || !stray.exists());
    assert_eq!(worktrees(&root).len(), 2, "{:?}", worktrees(&root));
    assert_eq!(git(&path, &["show", "HEAD:a.txt"]), "b");
    engine.stop();
    assert_consistent(&root);
}

#[test]
fn a_task_killed_in_its_worktree_finishes_there_after_the_restart() {
    let project = repo(&[("a.txt", "a\n")]);
    let root = project.root().to_path_buf();
    worktree_workflow(
        &project,
        "slow",
        "echo started >> log.txt; [ -f .second ] || { touch .second; sleep 30; }; echo done >> log.txt",
    );
    let engine = project.start_engine(&[]);
    let id = project.submit(&["-w", "slow", "slow"]);
    project.wait_for(&id, LIMIT, |t| {
        support::step_status(t, "work") == Some("running")
    });
    engine.kill_hard();
    let engine = project.start_engine(&[]);
    let task = project.wait_finished(&id, LIMIT);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    support::eventually(LIMIT, "ready for review", || {
        state(&project, &id) == "ready"
    });
    let place = project.path(&format!(".bosun/worktrees/{id}"));
    assert_eq!(
        git(&place, &["show", "HEAD:log.txt"]),
        "started\nstarted\ndone"
    );
    assert_eq!(worktrees(&root).len(), 2);
    engine.stop();
    assert_consistent(&root);
}

#[test]
fn a_merge_cut_off_after_its_base_moved_is_finished_not_run_twice() {
    cut_off_merge(true);
}

#[test]
fn a_merge_cut_off_before_its_base_moved_runs_again_once() {
    cut_off_merge(false);
}

/// A merge claimed by a process that died (`kill -9`) after recording the commit its base
/// moves to, and — when `moved` — after moving the base, before tidying up; then the user asks
/// to merge again.
fn cut_off_merge(moved: bool) {
    let project = repo(&[("a.txt", "a\n")]);
    let root = project.root().to_path_buf();
    worktree_workflow(&project, "edit", "echo b > a.txt");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["-w", "edit", "edit"]);
    project.wait_for(&id, LIMIT, |t| t["worktree"]["state"] == "ready");
    engine.stop();
    // As `kill -9` leaves it: the merge claimed by a process that is gone, its target
    // recorded, the worktree and branch still there (and main moved, or not yet).
    let task = TaskId(id.clone());
    let path = project.path(&format!(".bosun/worktrees/{id}"));
    let branch = format!("bosun/{id}");
    let (new_commit, old_commit) = block(async {
        let store = store(&project).await;
        let at = "2026-12-03T00:00:00Z".to_string();
        store
            .writer
            .write(vec![
                WriteOp::Worktree(WorktreeOp::QueueMerge {
                    task_id: task.clone(),
                    into: "main".into(),
                    strategy: MergeStrategy::Merge,
                    requested_by: "user".into(),
                    at: at.clone(),
                }),
                WriteOp::Worktree(WorktreeOp::SetState {
                    task_id: task.clone(),
                    state: bosun::protocol::WorktreeState::Merging,
                    from: Vec::new(),
                    error: None,
                    at: at.clone(),
                }),
            ])
            .await
            .expect("queue");
        let merge = read::latest_merge(&store.reader, &task)
            .await
            .expect("read")
            .expect("queued");
        store
            .writer
            .write(vec![WriteOp::Worktree(WorktreeOp::ClaimMerge {
                id: merge,
                holder: "4194000:1".into(),
                at,
            })])
            .await
            .expect("claim");
        let prepared = bosun::worktree::prepare_merge(
            &root,
            &path,
            &branch,
            "main",
            bosun::worktree::Strategy::Merge,
            "Merge cut off",
        )
        .expect("prepare");
        let bosun::worktree::Prepared::Ready {
            new_commit,
            old_commit,
        } = prepared
        else {
            panic!("expected a merge to make");
        };
        store
            .writer
            .write(vec![WriteOp::Worktree(WorktreeOp::MergeTarget {
                id: merge,
                old_commit: old_commit.clone(),
                new_commit: new_commit.clone(),
            })])
            .await
            .expect("target");
        store.close().await;
        (new_commit, old_commit)
    });
    if moved {
        bosun::worktree::land(&root, "main", &new_commit, &old_commit).expect("land");
    }

    // Asking again finishes that merge (or runs it again) rather than making another.
    let again = project.bosun(&["merge", &id]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(state(&project, &id), "merged");
    if moved {
        assert_eq!(git(&root, &["rev-parse", "main"]), new_commit);
    }
    assert_eq!(git(&root, &["rev-parse", "main^1"]), old_commit);
    assert_eq!(
        git(&root, &["rev-list", "--count", "--merges", "main"]),
        "1"
    );
    assert_eq!(branches(&root), ["main"]);
    assert_eq!(worktrees(&root).len(), 1);
    assert_eq!(project.read("a.txt"), "b\n");
    assert_consistent(&root);
}

#[test]
fn kill_9_at_any_moment_of_a_worktree_task_leaves_git_and_bosun_agreeing() {
    let project = repo(&[("a.txt", "a\n")]);
    let root = project.root().to_path_buf();
    worktree_workflow(&project, "edit", "echo '{{ task.id }}' > a.txt");
    let mut done = Vec::new();
    // Killed before, while and after the worktree is made, while the step runs, as it ends.
    for delay in [0, 10, 25, 50, 100, 200, 400] {
        let engine = project.start_engine(&[]);
        let id = project.submit(&["-w", "edit", "edit"]);
        std::thread::sleep(Duration::from_millis(delay));
        engine.kill_hard();
        let engine = project.start_engine(&[]);
        let task = project.wait_finished(&id, LIMIT);
        assert_eq!(
            task["status"], "succeeded",
            "killed after {delay} ms: {task:#}"
        );
        support::eventually(LIMIT, "ready for review", || {
            state(&project, &id) == "ready"
        });
        engine.stop();
        done.push(id);
        // Every worktree git knows of is a task's, each holds its task's work, and no branch
        // is left without its worktree.
        let listed = worktrees(&root);
        assert_eq!(
            listed.len(),
            done.len() + 1,
            "killed after {delay} ms: {listed:?}"
        );
        for id in &done {
            let place = project.path(&format!(".bosun/worktrees/{id}"));
            assert_eq!(git(&place, &["show", "HEAD:a.txt"]), id.as_str());
        }
        assert_eq!(branches(&root).len(), done.len() + 1);
        assert_consistent(&root);
    }
}
