//! What environment a step's process gets (README "Environment"): the engine's, then the
//! project settings' `env`, the workflow's, the skill's, the most specific winning; `path`
//! entries in front of `PATH`, with `.venv/bin` and `node_modules/.bin` by default, so a
//! project's own tools are found without activating anything. Bad names are refused at their
//! file and position with exit 2.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use support::Project;

/// Writes an executable script printing `says` into the project.
fn tool(p: &Project, rel: &str, says: &str) {
    p.write(rel, &format!("#!/bin/sh\necho {says}\n"));
    std::fs::set_permissions(p.path(rel), std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn output(task: &serde_json::Value) -> String {
    support::Project::step(task, "run")["output"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_projects_venv_and_npm_tools_are_found_without_activating_them() {
    let p = Project::new();
    tool(&p, ".venv/bin/pytest", "venv-pytest");
    tool(&p, "node_modules/.bin/eslint", "npm-eslint");
    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "shell", "pytest && eslint"]);
    let task = p.wait_finished(&id, Duration::from_secs(30));
    engine.stop();
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(output(&task).trim(), "venv-pytest\nnpm-eslint");
}

#[test]
fn the_skill_wins_over_the_workflow_over_the_project_and_paths_add_up() {
    let p = Project::new();
    tool(&p, "tools/wf/hello", "from-workflow-path");
    tool(&p, "tools/project/hello", "from-project-path");
    tool(&p, "tools/project/other", "project-only");
    p.write(
        ".bosun/config.yaml",
        "env: { A: project, B: project, C: project, N: 1 }\npath: [tools/project]\n",
    );
    p.write(
        ".bosun/skills/show-env.yaml",
        "kind: command\nrisk: low\ncommand: [sh, -c, 'echo $A $B $C $N; hello; other']\nenv: { C: skill }\n",
    );
    p.write(
        ".bosun/workflows/envs.yaml",
        "env: { B: workflow, C: workflow }\npath: [tools/wf]\nsteps:\n  - { id: run, skill: show-env }\n",
    );
    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "envs", "show the environment"]);
    let task = p.wait_finished(&id, Duration::from_secs(30));
    engine.stop();
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(
        output(&task).trim(),
        "project workflow skill 1\nfrom-workflow-path\nproject-only"
    );
}

#[test]
fn bad_names_and_entries_are_placed_and_exit_2() {
    let p = Project::new();
    p.write(".bosun/config.yaml", "env:\n  \"NOT A NAME\": x\n");
    let out = p.bosun_from_root(&["validate"]);
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("config.yaml:2:"), "{err}");
    assert!(err.contains("NOT A NAME"), "{err}");

    p.write(
        ".bosun/config.yaml",
        "path: [\".venv/bin:node_modules/.bin\"]\n",
    );
    let out = p.bosun_from_root(&["validate"]);
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("config.yaml:1:"), "{err}");
    assert!(err.contains("one directory per entry"), "{err}");

    std::fs::remove_file(p.path(".bosun/config.yaml")).expect("rm");
    p.write(
        ".bosun/workflows/w.yaml",
        "env: { BOSUN_RUN_ID: mine }\nsteps:\n  - { id: a, skill: git-status }\n",
    );
    let out = p.bosun_from_root(&["validate"]);
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("w.yaml:1:"), "{err}");
    assert!(err.contains("set by Bosun"), "{err}");
}
