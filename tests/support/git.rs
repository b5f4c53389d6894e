//! A project that is a real git repository, for the worktree tests: made with the real `git`,
//! with an identity of its own and Bosun's files ignored.

use std::path::Path;

use super::Project;

/// Runs `git ARGS` in `dir` and returns its trimmed stdout, failing the test on an error.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A project on branch `main` with one commit holding `files`; `.bosun/` and `.env` ignored.
pub fn repo(files: &[(&str, &str)]) -> Project {
    let project = Project::new();
    let root = project.root();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "Test"]);
    git(root, &["config", "user.email", "test@example.com"]);
    project.write(".gitignore", ".bosun/\n.env\n");
    for (path, text) in files {
        project.write(path, text);
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "start"]);
    project
}

/// A workflow `name` that runs in a worktree and runs `run` (a shell line) there.
pub fn worktree_workflow(project: &Project, name: &str, run: &str) {
    let run = run.replace('\\', "\\\\").replace('"', "\\\"");
    project.write(
        &format!(".bosun/workflows/{name}.yaml"),
        &format!(
            "name: {name}\nisolation: worktree\ninputs:\n  text: {{ default: \"\" }}\nsteps:\n  - id: work\n    skill: shell\n    with: {{ run: \"{run}\" }}\n"
        ),
    );
}

/// The worktrees `git worktree list` shows, the spare Bosun keeps ahead of the next task's
/// start left out (see [`spare`]).
pub fn worktrees(root: &Path) -> Vec<String> {
    git(root, &["worktree", "list", "--porcelain"])
        .lines()
        .filter_map(|l| l.strip_prefix("worktree "))
        .filter(|p| !p.ends_with("/.bosun/worktrees/.spare"))
        .map(str::to_string)
        .collect()
}

/// Whether git lists the spare worktree.
pub fn spare(root: &Path) -> bool {
    git(root, &["worktree", "list", "--porcelain"])
        .lines()
        .any(|l| l.starts_with("worktree ") && l.ends_with("/.bosun/worktrees/.spare"))
}

/// The local branches.
pub fn branches(root: &Path) -> Vec<String> {
    git(root, &["branch", "--format=%(refname:short)"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// The repository is whole: `git fsck` passes, no merge is half-done in the main checkout,
/// and its tracked files are as committed.
pub fn assert_consistent(root: &Path) {
    git(root, &["fsck", "--no-progress"]);
    assert!(
        !root.join(".git/MERGE_HEAD").exists(),
        "a merge is half-done in the checkout"
    );
    assert_eq!(
        git(root, &["status", "--porcelain", "--untracked-files=no"]),
        "",
        "the main checkout has changes nobody made"
    );
}

/// Submits tasks `edit alpha` and `edit beta`, each writing its word over `notes.txt` in its
/// own worktree, and waits (with a running engine) until both are ready for review.
pub fn two_edits_of_notes(project: &Project, limit: std::time::Duration) -> (String, String) {
    worktree_workflow(
        project,
        "edit",
        "printf '%s\\n' '{{ inputs.text }}' > notes.txt",
    );
    let a = project.submit(&["-w", "edit", "-i", "text=alpha", "edit alpha"]);
    let b = project.submit(&["-w", "edit", "-i", "text=beta", "edit beta"]);
    for id in [&a, &b] {
        project.wait_for(id, limit, |t| t["worktree"]["state"] == "ready");
    }
    (a, b)
}
