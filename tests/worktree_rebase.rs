//! A merge that conflicts, handed to an agent (the real Claude Code CLI against the kit's fake
//! model): the `resolve-conflicts` task runs in the conflicted task's worktree, rebases its
//! branch, and the merge is asked about again — and then lands.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::agents::{FakeModel, configure_claude};
use support::git::{assert_consistent, branches, git, repo, two_edits_of_notes, worktrees};

const LIMIT: Duration = Duration::from_secs(60);

fn state(task: &Value) -> &str {
    task["worktree"]["state"].as_str().unwrap_or("none")
}

fn branch_question(project: &support::Project, task: &str) -> Option<Value> {
    let out = project.bosun(&["inbox", "--json"]);
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).expect("inbox --json");
    all.into_iter()
        .find(|e| e["task_id"] == task && e["step_id"].is_null())
}

#[test]
fn a_conflict_handed_to_an_agent_is_rebased_in_its_worktree_then_merges() {
    let project = repo(&[("notes.txt", "one\n")]);
    let root = project.root().to_path_buf();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            { "bash": "git rebase main || { printf 'alpha\\nbeta\\n' > notes.txt && git add notes.txt && GIT_EDITOR=true git rebase --continue; }" },
            { "match": "tool_result", "text": "Rebased onto main; kept both lines." }
        ]),
    );
    configure_claude(&project, &fake, None, "");
    project.write(
        ".bosun/policy.yaml",
        "rules:\n  - id: agent-git\n    match: { skill: [claude, shell] }\n    action: allow\n",
    );
    let engine = project.start_engine(&[]);
    let (a, b) = two_edits_of_notes(&project, LIMIT);
    assert!(project.bosun(&["merge", &a]).status.success());
    assert_eq!(project.bosun(&["merge", &b]).status.code(), Some(1));
    let asked = branch_question(&project, &b).expect("asked about the conflict");

    let answered = project.bosun(&["answer", asked["id"].as_str().expect("id"), "rebase"]);
    assert!(
        answered.status.success(),
        "{}",
        String::from_utf8_lossy(&answered.stderr)
    );
    let said = String::from_utf8_lossy(&answered.stderr).into_owned();
    let resolver = said
        .split_whitespace()
        .find(|w| w.starts_with("t-") && *w != b)
        .expect("the resolving task is named")
        .to_string();
    let task = project.wait_finished(&resolver, LIMIT);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(task["workflow"], "resolve-conflicts");
    // It worked in b's worktree, on b's branch: no worktree of its own.
    assert!(task["worktree"].is_null(), "{task:#}");
    let place = project.path(&format!(".bosun/worktrees/{b}"));
    assert_eq!(git(&place, &["show", "HEAD:notes.txt"]), "alpha\nbeta");
    git(&place, &["merge-base", "--is-ancestor", "main", "HEAD"]);

    // b is ready again, and its merge asked about again; this time it lands.
    support::eventually(LIMIT, "the merge is asked again", || {
        branch_question(&project, &b).is_some_and(|q| q["options"][0] == "merge")
    });
    let again = branch_question(&project, &b).expect("question");
    let merged = project.bosun(&["answer", again["id"].as_str().expect("id"), "merge"]);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(state(&project.show(&b)), "merged");
    assert_eq!(project.read("notes.txt"), "alpha\nbeta\n");
    assert_eq!(branches(&root), ["main"]);
    assert_eq!(worktrees(&root).len(), 1);
    engine.stop();
    assert_consistent(&root);
}
