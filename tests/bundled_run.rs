//! The bundled workflows on the common layouts of their ecosystem, run for real (`bosun run`,
//! real `npm`, a real venv's `python3`): `node-ci` on a fresh npm package (no lockfile, no lint
//! script, a root `index.js`), `python-ci` from a project's `.venv`, and `make` without a `test`
//! target; where a project cannot work, the step's stderr says why. The npm packages have no
//! dependencies, so no network is needed.

mod support;

use std::path::Path;
use std::time::Duration;

use bosun::definitions::workflow::{BUNDLED_WORKFLOWS, parse_workflow};
use bosun::watch::TriggerSet;
use serde_json::Value;
use support::{Project, step_status};

const LIMIT: Duration = Duration::from_secs(120);

fn run(p: &Project, workflow: &str) -> Value {
    let id = p.submit(&["--workflow", workflow, &format!("run {workflow}")]);
    p.wait_finished(&id, LIMIT)
}

fn field(task: &Value, step: &str, name: &str) -> String {
    Project::step(task, step)[name]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn npm_package(p: &Project, scripts: &str) {
    p.write(
        "package.json",
        &format!("{{\n  \"name\": \"fresh\",\n  \"version\": \"1.0.0\",\n  \"scripts\": {{ {scripts} }}\n}}\n"),
    );
    p.write("index.js", "module.exports = (a, b) => a + b;\n");
    p.write(
        "test.js",
        "const add = require('./index.js');\nif (add(1, 2) !== 3) { process.exit(1); }\nconsole.log('1 test passed');\n",
    );
}

#[test]
fn node_ci_runs_a_fresh_package_without_a_lockfile_or_a_lint_script() {
    let p = Project::new();
    npm_package(&p, "\"test\": \"node test.js\"");
    let engine = p.start_engine(&[]);
    let task = run(&p, "node-ci");
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert!(
        field(&task, "install", "output").contains("no package-lock.json"),
        "{task:#}"
    );
    assert_eq!(Project::step(&task, "install")["attempts"], 1, "{task:#}");
    assert_eq!(step_status(&task, "lint"), Some("skipped"), "{task:#}");
    assert!(field(&task, "test", "output").contains("1 test passed"));
    // npm install wrote a lockfile: the next run installs from it with `npm ci`.
    assert!(p.path("package-lock.json").is_file());
    let again = run(&p, "node-ci");
    engine.stop();
    assert_eq!(again["status"], "succeeded", "{again:#}");
    assert!(!field(&again, "install", "output").contains("no package-lock.json"));
}

#[test]
fn node_ci_says_why_a_script_is_missing_or_failing() {
    let p = Project::new();
    npm_package(
        &p,
        "\"lint\": \"echo 'index.js:1 bad style' >&2 && exit 3\"",
    );
    let engine = p.start_engine(&[]);
    let task = run(&p, "node-ci");
    engine.stop();
    assert_eq!(task["status"], "failed", "{task:#}");
    let lint = field(&task, "lint", "stderr");
    assert!(lint.contains("index.js:1 bad style"), "{task:#}");
    let test = field(&task, "test", "stderr");
    assert!(test.contains("Missing script: \"test\""), "{task:#}");
}

#[test]
fn node_ci_outside_an_npm_project_says_so() {
    let p = Project::new();
    let engine = p.start_engine(&[]);
    let task = run(&p, "node-ci");
    engine.stop();
    assert_eq!(task["status"], "failed", "{task:#}");
    assert!(
        field(&task, "install", "stderr").contains("no package.json"),
        "{task:#}"
    );
}

#[test]
fn python_ci_runs_the_projects_venv_and_says_when_pytest_is_missing() {
    let p = Project::new();
    p.write(
        "tests/test_add.py",
        "def test_add():\n    assert 1 + 1 == 2\n",
    );
    let engine = p.start_engine(&[]);
    // No venv and no pytest for the engine's python3: the error says which module is missing.
    let bare = run(&p, "python-ci");
    let venv = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip", ".venv"])
        .current_dir(p.root())
        .status()
        .expect("python3 -m venv");
    assert!(venv.success());
    // A stand-in pytest inside the venv only: found only if the venv's python3 runs it.
    let site = std::fs::read_dir(p.path(".venv/lib"))
        .expect("venv lib")
        .flatten()
        .next()
        .expect("a pythonX.Y directory")
        .path()
        .join("site-packages/pytest.py");
    std::fs::write(
        &site,
        "import sys\nprint('pytest from the venv', sys.argv[1:])\n",
    )
    .expect("stand-in");
    let in_venv = run(&p, "python-ci");
    engine.stop();
    assert_eq!(bare["status"], "failed", "{bare:#}");
    assert!(
        field(&bare, "test", "stderr").contains("No module named pytest"),
        "{bare:#}"
    );
    assert_eq!(in_venv["status"], "succeeded", "{in_venv:#}");
    assert!(
        field(&in_venv, "test", "output").contains("pytest from the venv ['-q']"),
        "{in_venv:#}"
    );
}

#[test]
fn make_without_a_test_target_builds_and_skips_the_test() {
    let p = Project::new();
    p.write("Makefile", "all:\n\t@echo built\n");
    let engine = p.start_engine(&[]);
    let task = run(&p, "make");
    engine.stop();
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(step_status(&task, "has_test"), Some("succeeded"));
    assert_eq!(step_status(&task, "test"), Some("skipped"), "{task:#}");
}

#[test]
fn the_example_triggers_cover_the_usual_layouts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = bosun::config::ProjectPaths::new(dir.path()).expect("paths");
    let skills = bosun::definitions::skills::load_skills(&paths);
    let workflows: Vec<_> = BUNDLED_WORKFLOWS
        .iter()
        .map(|(name, text)| parse_workflow(Path::new(name), text, &skills).expect("valid"))
        .collect();
    let set = TriggerSet::new(workflows.iter());
    let starts = |path: &str, name: &str| {
        set.matching(Path::new(path))
            .iter()
            .any(|&i| set.specs()[i].workflow == name)
    };
    for path in [
        "index.js",
        "src/app.ts",
        "lib/util.mjs",
        "test/a.test.js",
        "package.json",
    ] {
        assert!(starts(path, "node-ci"), "node-ci misses {path}");
    }
    for path in [
        "src/main.rs",
        "build.rs",
        "crates/core/src/lib.rs",
        "crates/core/Cargo.toml",
        "Cargo.toml",
    ] {
        assert!(starts(path, "rust-ci"), "rust-ci misses {path}");
    }
    for path in [
        "conftest.py",
        "src/pkg/mod.py",
        "tests/test_x.py",
        "pyproject.toml",
    ] {
        assert!(starts(path, "python-ci"), "python-ci misses {path}");
    }
    assert!(!starts("README.md", "node-ci") && !starts("README.md", "python-ci"));
}
