//! Tasks in git worktrees of their own (DESIGN.md §9), end to end: the real `bosun` binary, a
//! real engine process and real git repositories in temporary directories.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::Project;
use support::git::{
    assert_consistent, branches, git, repo, two_edits_of_notes, worktree_workflow, worktrees,
};

const LIMIT: Duration = Duration::from_secs(30);

fn state(task: &Value) -> &str {
    task["worktree"]["state"].as_str().unwrap_or("none")
}

/// The open questions about `task`'s branch.
fn branch_questions(project: &Project, task: &str) -> Vec<Value> {
    let out = project.bosun(&["inbox", "--json"]);
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).expect("inbox --json");
    all.into_iter()
        .filter(|e| e["task_id"] == task && e["step_id"].is_null())
        .collect()
}

fn options(question: &Value) -> Vec<String> {
    question["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o.as_str().expect("text").to_string())
        .collect()
}

/// What the `worktree_changed` events of `task` said, from the store.
fn worktree_notes(project: &Project, task: &str) -> Vec<String> {
    let db = project.path(".bosun/state/bosun.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = bosun::store::Store::open(&db).await.expect("store");
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT payload FROM events WHERE task_id = ? AND kind = 'worktree_changed'",
        )
        .bind(task)
        .fetch_all(&store.reader)
        .await
        .expect("events");
        store.close().await;
        rows.into_iter()
            .filter_map(|(p,)| serde_json::from_str::<Value>(&p).ok())
            .filter_map(|p| p["note"].as_str().map(str::to_string))
            .collect()
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn parallel_tasks_on_one_file_merge_once_then_conflict_with_nothing_half_merged() {
    let project = repo(&[("notes.txt", "one\n")]);
    let root = project.root().to_path_buf();
    let engine = project.start_engine(&[]);
    let (a, b) = two_edits_of_notes(&project, LIMIT);
    let tb = project.show(&b);
    let ta = project.show(&a);
    assert_eq!(ta["status"], "succeeded");
    // Each ran in its own checkout: the user's is untouched, and both see the collision.
    assert_eq!(project.read("notes.txt"), "one\n");
    assert_eq!(ta["worktree"]["branch"], format!("bosun/{a}"));
    assert_eq!(ta["worktree"]["changed"], serde_json::json!(["notes.txt"]));
    assert_eq!(ta["worktree"]["collides"][0]["task_id"], b.as_str());
    assert_eq!(tb["worktree"]["collides"][0]["task_id"], a.as_str());
    assert_eq!(
        tb["worktree"]["collides"][0]["files"],
        serde_json::json!(["notes.txt"])
    );
    // A green task's merge is a decision: with no rule for it, the user is asked.
    let asked = branch_questions(&project, &a);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(options(&asked[0]), ["merge", "keep", "discard"]);

    // The first merge lands, and the user was told of the other task first.
    let first = project.bosun(&["merge", &a]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stderr).contains(&b), "{}", text(&first.stderr));
    assert_eq!(project.read("notes.txt"), "alpha\n");
    assert_eq!(
        git(&root, &["log", "-1", "--format=%s", "main"]),
        format!("Merge bosun/{a}: edit alpha")
    );
    assert!(
        branch_questions(&project, &a).is_empty(),
        "the question is settled"
    );
    assert_eq!(state(&project.show(&a)), "merged");
    let behind = project.show(&b);
    // main gained a's commit and the merge commit.
    assert_eq!(
        behind["worktree"]["behind"], 2,
        "main moved past b: {behind:#}"
    );
    assert_eq!(behind["worktree"]["ahead"], 1);
    assert!(!branches(&root).contains(&format!("bosun/{a}")));
    assert_eq!(worktrees(&root).len(), 2, "{:?}", worktrees(&root));

    // The second conflicts: nothing merged, the task parked, the user asked.
    let second = project.bosun(&["merge", &b]);
    assert_eq!(second.status.code(), Some(1), "{}", text(&second.stdout));
    assert!(
        text(&second.stdout).contains("conflicts"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(project.read("notes.txt"), "alpha\n");
    assert_consistent(&root);
    let parked = project.show(&b);
    assert_eq!(state(&parked), "conflicted");
    assert_eq!(
        parked["worktree"]["conflicts"],
        serde_json::json!(["notes.txt"])
    );
    let asked = branch_questions(&project, &b);
    assert_eq!(options(&asked[0]), ["keep", "discard", "rebase"]);

    // Discarding it (an answer) removes its worktree and branch.
    let id = asked[0]["id"].as_str().expect("id");
    let answered = project.bosun(&["answer", id, "discard"]);
    assert!(answered.status.success(), "{}", text(&answered.stderr));
    assert_eq!(state(&project.show(&b)), "discarded");
    assert_eq!(branches(&root), ["main"]);
    assert_eq!(worktrees(&root).len(), 1, "{:?}", worktrees(&root));
    assert!(!project.path(&format!(".bosun/worktrees/{b}")).exists());
    let decisions = project.bosun(&["decisions", "--task", &b, "--json"]);
    let decisions: Vec<Value> = serde_json::from_slice(&decisions.stdout).expect("json");
    assert!(
        decisions
            .iter()
            .any(|d| d["kind"] == "merge" && d["choice"] == "discard"),
        "{decisions:?}"
    );
    engine.stop();
}

#[test]
fn a_worktree_task_gets_its_included_files_its_place_and_its_ports() {
    let project = repo(&[("app.txt", "v1\n"), (".worktreeinclude", ".env\n")]);
    project.write(".env", "SECRET=42\n");
    project.write(".bosun/policy.yaml", "rules:\n  - id: read-env\n    match: { skill: shell, path: [\".env\"] }\n    action: allow\n");
    worktree_workflow(
        &project,
        "look",
        "cat .env; echo \"$BOSUN_WORKTREE|$BOSUN_PORT_BASE|$(pwd)\"; echo v2 > app.txt",
    );
    let engine = project.start_engine(&[]);
    let id = project.submit(&["-w", "look", "look around"]);
    let task = project.wait_for(&id, LIMIT, |t| state(t) == "ready");
    let output = task["steps"][0]["output"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let place = project.path(&format!(".bosun/worktrees/{id}"));
    let place = std::fs::canonicalize(&place).expect("the worktree exists");
    assert!(
        output.contains("SECRET=42"),
        "the gitignored .env was copied: {output}"
    );
    let port = task["worktree"]["port_base"].as_u64().expect("port");
    assert!(
        output.contains(&format!("{}|{port}|{}", place.display(), place.display())),
        "{output}"
    );
    assert_eq!(
        project.read("app.txt"),
        "v1\n",
        "the user's checkout is untouched"
    );
    // The diff shows what it changed; the work was committed on its branch when it ended.
    let diff = project.bosun(&["diff", &id]);
    assert!(diff.status.success(), "{}", text(&diff.stderr));
    assert!(
        text(&diff.stdout).contains("app.txt"),
        "{}",
        text(&diff.stdout)
    );
    assert!(text(&diff.stdout).contains("+v2"), "{}", text(&diff.stdout));
    assert!(
        !text(&diff.stdout).contains(".env"),
        "an ignored file is no change"
    );
    assert_eq!(git(&place, &["status", "--porcelain"]), "");
    let squash = project.bosun(&["merge", &id, "--squash"]);
    assert!(squash.status.success(), "{}", text(&squash.stderr));
    assert_eq!(project.read("app.txt"), "v2\n");
    assert_eq!(
        git(project.root(), &["rev-list", "--count", "main"]),
        "2",
        "one squashed commit on top of the start"
    );
    engine.stop();
}

#[test]
fn a_failed_setup_fails_the_task_and_leaves_nothing_behind() {
    let project = repo(&[("app.txt", "v1\n")]);
    project.write(
        ".bosun/config.yaml",
        "worktree:\n  setup: [\"echo preparing; exit 3\"]\n",
    );
    worktree_workflow(&project, "work", "echo never > app.txt");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["-w", "work", "some work"]);
    let task = project.wait_finished(&id, LIMIT);
    assert_eq!(task["status"], "failed");
    let error = task["error"].as_str().unwrap_or_default();
    assert!(error.contains("worktree-setup"), "{error}");
    assert_eq!(support::step_status(&task, "work"), Some("skipped"));
    support::eventually(LIMIT, "the worktree is removed", || {
        state(&project.show(&id)) == "removed"
    });
    assert_eq!(worktrees(project.root()).len(), 1);
    assert_eq!(branches(project.root()), ["main"]);
    assert!(!project.path(&format!(".bosun/worktrees/{id}")).exists());
    engine.stop();
}

#[test]
fn a_task_that_changes_nothing_leaves_nothing_and_cannot_write_the_users_checkout() {
    let project = repo(&[("app.txt", "v1\n")]);
    worktree_workflow(&project, "quiet", "cat app.txt");
    worktree_workflow(
        &project,
        "escape",
        "echo x > \"$BOSUN_PROJECT/escaped.txt\"",
    );
    let engine = project.start_engine(&[]);
    let quiet = project.submit(&["-w", "quiet", "read only"]);
    let escape = project.submit(&["-w", "escape", "write outside"]);
    let task = project.wait_finished(&quiet, LIMIT);
    assert_eq!(task["status"], "succeeded");
    support::eventually(LIMIT, "the unchanged worktree is removed", || {
        state(&project.show(&quiet)) == "removed"
    });
    // From a worktree, the user's checkout is outside the task's tree.
    let task = project.wait_finished(&escape, LIMIT);
    assert_eq!(task["status"], "failed", "{task:#}");
    assert!(!project.path("escaped.txt").exists());
    engine.stop();
}

#[test]
fn submitting_a_worktree_task_outside_a_repository_or_from_an_unknown_base_is_refused() {
    let plain = Project::new();
    worktree_workflow(&plain, "edit", "true");
    let out = plain.bosun(&["submit", "-w", "edit", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("git repository"),
        "{}",
        text(&out.stderr)
    );
    let project = repo(&[("a.txt", "a\n")]);
    let out = project.bosun(&[
        "submit",
        "--isolation",
        "worktree",
        "--base",
        "nope",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));
    let out = project.bosun(&["submit", "--base", "main", "true"]);
    assert_eq!(out.status.code(), Some(2), "--base needs a worktree");
}

#[test]
fn a_spare_worktree_is_kept_ahead_and_the_next_task_starts_from_it() {
    let project = repo(&[("a.txt", "a\n")]);
    let root = project.root().to_path_buf();
    worktree_workflow(&project, "edit", "echo '{{ task.id }}' > a.txt");
    let engine = project.start_engine(&[]);
    let first = project.submit(&["-w", "edit", "first"]);
    project.wait_for(&first, LIMIT, |t| state(t) == "ready");
    support::eventually(
        LIMIT,
        "a spare is made after the first task's start",
        || support::git::spare(&root),
    );
    // main moves on: the task taking the spare starts from where main is now.
    project.write("b.txt", "b\n");
    git(&root, &["add", "b.txt"]);
    git(&root, &["commit", "-qm", "moved on"]);
    let second = project.submit(&["-w", "edit", "second"]);
    let task = project.wait_for(&second, LIMIT, |t| state(t) == "ready");
    let place = project.path(&format!(".bosun/worktrees/{second}"));
    assert_eq!(
        task["worktree"]["base_commit"].as_str(),
        Some(git(&root, &["rev-parse", "main"]).as_str())
    );
    assert_eq!(git(&place, &["show", "HEAD:a.txt"]), second);
    assert_eq!(git(&place, &["show", "HEAD:b.txt"]), "b");
    assert_eq!(
        git(&place, &["branch", "--show-current"]),
        format!("bosun/{second}")
    );
    let made = worktree_notes(&project, &second);
    assert!(made.iter().any(|n| n.contains("the spare")), "{made:?}");
    support::eventually(LIMIT, "the spare is made again", || {
        support::git::spare(&root)
    });
    assert_eq!(worktrees(&root).len(), 3);
    engine.stop();
    assert_consistent(&root);
}

#[test]
fn no_spare_is_kept_when_the_setting_is_off() {
    let project = repo(&[("a.txt", "a\n")]);
    project.write(".bosun/config.yaml", "worktree:\n  spare: false\n");
    worktree_workflow(&project, "edit", "echo b > a.txt");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["-w", "edit", "edit"]);
    project.wait_for(&id, LIMIT, |t| state(t) == "ready");
    engine.stop();
    assert!(!support::git::spare(project.root()));
}

#[test]
fn a_project_in_a_subdirectory_of_its_repository_works_in_the_same_place_of_its_worktree() {
    let project = Project::in_subdirectory("services/api");
    let top = project.top().to_path_buf();
    git(&top, &["init", "-q", "-b", "main"]);
    git(&top, &["config", "user.name", "Test"]);
    git(&top, &["config", "user.email", "test@example.com"]);
    std::fs::write(top.join(".gitignore"), ".bosun/\n.env\n").expect("gitignore");
    std::fs::write(top.join("README.md"), "monorepo\n").expect("readme");
    project.write("app.txt", "v1\n");
    project.write(".worktreeinclude", ".env\n");
    git(&top, &["add", "-A"]);
    git(&top, &["commit", "-q", "-m", "start"]);
    project.write(".env", "TOKEN=1\n");
    project.write(
        ".bosun/policy.yaml",
        "rules:\n  - id: read-env\n    match: { skill: shell, path: [\".env\"] }\n    action: allow\n",
    );
    worktree_workflow(&project, "edit", "cat .env && pwd && echo v2 > app.txt");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["-w", "edit", "edit the service"]);
    let task = project.wait_for(&id, LIMIT, |t| state(t) == "ready");
    let place = project.path(&format!(".bosun/worktrees/{id}"));
    let place = std::fs::canonicalize(place).expect("the worktree");
    let output = task["steps"][0]["output"].as_str().unwrap_or_default();
    assert!(output.contains("TOKEN=1"), "{output}");
    assert!(
        output.contains(&format!("{}/services/api", place.display())),
        "steps run at the project's place in the worktree: {output}"
    );
    assert_eq!(
        task["worktree"]["changed"],
        serde_json::json!(["services/api/app.txt"])
    );
    let merged = project.bosun(&["merge", &id]);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert_eq!(project.read("app.txt"), "v2\n");
    engine.stop();
    assert_consistent(&top);
}
