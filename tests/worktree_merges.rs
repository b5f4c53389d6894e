//! Landing worktree tasks' branches (DESIGN.md §9): merges into one base run one at a time
//! whoever asks, a rule may merge a green task's branch without asking, and `--rebase` lands
//! the task's commits in a straight line.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::git::{assert_consistent, branches, git, repo, worktree_workflow, worktrees};

const LIMIT: Duration = Duration::from_secs(30);

fn state(task: &Value) -> &str {
    task["worktree"]["state"].as_str().unwrap_or("none")
}

#[test]
fn merges_asked_at_once_run_one_at_a_time_and_all_land() {
    let files: Vec<(String, String)> = (0..4)
        .map(|n| (format!("f{n}.txt"), "0\n".into()))
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let project = repo(&files);
    let root = project.root().to_path_buf();
    worktree_workflow(
        &project,
        "touch",
        "echo '{{ task.id }}' > '{{ inputs.text }}'",
    );
    let engine = project.start_engine(&[]);
    let ids: Vec<String> = (0..4)
        .map(|n| project.submit(&["-w", "touch", "-i", &format!("text=f{n}.txt"), "touch"]))
        .collect();
    for id in &ids {
        project.wait_for(id, LIMIT, |t| state(t) == "ready");
    }
    engine.stop();
    // Four merges into main at once, from four processes: none may move main from under
    // another, so each lands on top of the one before.
    let merging: Vec<std::process::Child> = ids
        .iter()
        .map(|id| {
            std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
                .args(["merge", id, "--project"])
                .arg(&root)
                .env("BOSUN_REDIS_URL", "off")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn merge")
        })
        .collect();
    for child in merging {
        let out = child.wait_with_output().expect("merge ends");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(project.read(&format!("f{n}.txt")), format!("{id}\n"));
        assert_eq!(state(&project.show(id)), "merged");
    }
    assert_eq!(
        git(&root, &["rev-list", "--count", "--merges", "main"]),
        "4"
    );
    assert_eq!(branches(&root), ["main"]);
    assert_eq!(worktrees(&root).len(), 1);
    assert_consistent(&root);
}

#[test]
fn a_rule_merges_a_green_tasks_branch_without_asking() {
    let project = repo(&[("a.txt", "a\n")]);
    project.write(
        ".bosun/policy.yaml",
        "rules:\n  - id: merge-docs\n    match: { kind: merge, workflow: docs }\n    choice: merge\n",
    );
    worktree_workflow(&project, "docs", "echo documented > a.txt");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["-w", "docs", "document"]);
    project.wait_for(&id, LIMIT, |t| state(t) == "merged");
    assert_eq!(project.read("a.txt"), "documented\n");
    let decisions = project.bosun(&["decisions", "--task", &id, "--json"]);
    let decisions: Vec<Value> = serde_json::from_slice(&decisions.stdout).expect("json");
    let merge = decisions
        .iter()
        .find(|d| d["kind"] == "merge")
        .expect("the merge is in the ledger");
    assert_eq!(merge["choice"], "merge");
    assert_eq!(merge["decided_by"], "rule:merge-docs");
    let inbox = project.bosun(&["inbox", "--json"]);
    assert_eq!(String::from_utf8_lossy(&inbox.stdout).trim(), "[]");
    engine.stop();
    assert_consistent(project.root());
}

#[test]
fn a_rebase_lands_the_tasks_commits_in_a_straight_line() {
    let project = repo(&[("a.txt", "a\n"), ("b.txt", "b\n")]);
    let root = project.root().to_path_buf();
    worktree_workflow(
        &project,
        "two",
        "echo one > a.txt && git add a.txt && git commit -qm 'first change' && echo two > b.txt",
    );
    let engine = project.start_engine(&[]);
    let id = project.submit(&["-w", "two", "two changes"]);
    project.wait_for(&id, LIMIT, |t| state(t) == "ready");
    engine.stop();
    // main moves on meanwhile, in a file the task did not touch.
    project.write("c.txt", "c\n");
    git(&root, &["add", "c.txt"]);
    git(&root, &["commit", "-qm", "meanwhile"]);
    let out = project.bosun(&["merge", &id, "--rebase"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        git(&root, &["rev-list", "--count", "--merges", "main"]),
        "0"
    );
    let subjects = git(&root, &["log", "--format=%s", "main"]);
    let subjects: Vec<&str> = subjects.lines().collect();
    assert_eq!(subjects[1..], ["first change", "meanwhile", "start"]);
    assert_eq!(project.read("a.txt"), "one\n");
    assert_eq!(project.read("b.txt"), "two\n");
    assert_eq!(project.read("c.txt"), "c\n");
    assert_consistent(&root);
}
