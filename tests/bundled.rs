//! The definitions shipped in the binary (STYLE.md practice 14): every file in the top-level
//! `skills/` and `workflows/` folders is compiled in, byte for byte, and nothing else is; each
//! bundled skill and workflow parses and validates with no project overrides; and the set holds
//! what DESIGN.md promises (the common skills, the default `shell` workflow, and a few more).

use std::collections::BTreeMap;
use std::path::Path;

use bosun::config::ProjectPaths;
use bosun::definitions::catalog::Source;
use bosun::definitions::skills::{BUNDLED_SKILLS, SkillCatalog, load_skills, skill};
use bosun::definitions::workflow::{
    AGENT_WORKFLOWS, BUNDLED_WORKFLOWS, DEFAULT_WORKFLOW, StepKind, WorkflowCatalog,
    load_workflows, parse_workflow,
};
use tempfile::TempDir;

const PROMISED_SKILLS: &[&str] = &[
    "shell",
    "git-status",
    "git-diff",
    "git-commit",
    "git-branch",
    "cargo-build",
    "cargo-test",
    "cargo-clippy",
    "cargo-fmt",
    "make",
    "npm-test",
];

/// File name → contents of every file in the crate's top-level `dir`.
fn on_disk(dir: &str) -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::read_dir(&dir)
        .expect("the folder of shipped definitions exists")
        .map(|entry| {
            let path = entry.expect("a readable directory entry").path();
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).expect("a readable UTF-8 definition");
            (name, text)
        })
        .collect()
}

/// File name → contents of a compiled-in list; no file name may appear twice.
fn compiled(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    let map: BTreeMap<String, String> = list
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    assert_eq!(
        map.len(),
        list.len(),
        "a file is listed twice: {:?}",
        list.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    map
}

/// Fails listing files missing from either side and files whose contents differ.
fn assert_same(dir: &str, disk: &BTreeMap<String, String>, bundled: &BTreeMap<String, String>) {
    let not_bundled: Vec<&String> = disk.keys().filter(|k| !bundled.contains_key(*k)).collect();
    let not_on_disk: Vec<&String> = bundled.keys().filter(|k| !disk.contains_key(*k)).collect();
    let differing: Vec<&String> = disk
        .iter()
        .filter(|(k, v)| bundled.get(*k).is_some_and(|b| b != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        not_bundled.is_empty() && not_on_disk.is_empty() && differing.is_empty(),
        "{dir}/ and the bundled list disagree:\n  in {dir}/ but not bundled: {not_bundled:?}\n  bundled but not in {dir}/: {not_on_disk:?}\n  different contents: {differing:?}"
    );
}

/// Catalogs for an empty project, so only bundled definitions are known.
fn catalogs() -> (TempDir, SkillCatalog, WorkflowCatalog) {
    let dir = tempfile::tempdir().expect("a temporary project directory");
    let paths = ProjectPaths::new(dir.path()).expect("project paths for the temporary directory");
    let skills = load_skills(&paths);
    let workflows = load_workflows(&paths);
    (dir, skills, workflows)
}

#[test]
fn every_skill_file_is_bundled_with_identical_contents() {
    assert_same("skills", &on_disk("skills"), &compiled(BUNDLED_SKILLS));
}

#[test]
fn every_workflow_file_is_bundled_with_identical_contents() {
    assert_same(
        "workflows",
        &on_disk("workflows"),
        &compiled(BUNDLED_WORKFLOWS),
    );
}

#[test]
fn every_bundled_skill_parses_and_validates() {
    let (_dir, skills, _) = catalogs();
    assert!(
        skills.problems.is_empty(),
        "indexing problems: {:#?}",
        skills.problems
    );
    assert_eq!(
        skills.entries.len(),
        BUNDLED_SKILLS.len(),
        "two bundled skills share a name: {:?}",
        skills.names().collect::<Vec<_>>()
    );
    let mut broken = Vec::new();
    for (name, entry) in &skills.entries {
        assert!(
            matches!(entry.source, Source::Bundled(_)),
            "`{name}` comes from {:?}",
            entry.source
        );
        match skill(&skills, name) {
            Some(Ok(def)) => assert_eq!(&def.name, name, "the catalog key is the skill's name"),
            Some(Err(problems)) => broken.push(problems.to_string()),
            None => broken.push(format!("`{name}` is indexed but cannot be looked up")),
        }
    }
    assert!(
        broken.is_empty(),
        "bundled skills that do not validate:\n{}",
        broken.join("\n")
    );
}

#[test]
fn every_bundled_workflow_parses_and_validates() {
    let (_dir, skills, workflows) = catalogs();
    assert!(
        workflows.problems.is_empty(),
        "indexing problems: {:#?}",
        workflows.problems
    );
    assert_eq!(
        workflows.entries.len(),
        BUNDLED_WORKFLOWS.len(),
        "two bundled workflows share a name: {:?}",
        workflows.names().collect::<Vec<_>>()
    );
    let mut broken = Vec::new();
    for (name, entry) in &workflows.entries {
        assert!(
            matches!(entry.source, Source::Bundled(_)),
            "`{name}` comes from {:?}",
            entry.source
        );
        match entry.get_or_parse(|path, text| parse_workflow(path, text, &skills)) {
            Ok(workflow) => {
                assert_eq!(
                    &workflow.name, name,
                    "the catalog key is the workflow's name"
                );
                assert!(!workflow.steps.is_empty(), "`{name}` has no steps");
            }
            Err(problems) => broken.push(problems.to_string()),
        }
    }
    assert!(
        broken.is_empty(),
        "bundled workflows that do not validate:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_bundled_set_has_what_the_design_promises() {
    let (_dir, skills, workflows) = catalogs();
    let missing: Vec<&&str> = PROMISED_SKILLS
        .iter()
        .filter(|name| skills.get(name).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "promised skills not bundled: {missing:?}"
    );
    assert!(
        workflows.get(DEFAULT_WORKFLOW).is_some(),
        "the default workflow `{DEFAULT_WORKFLOW}` (used when nothing matches a description) is not bundled"
    );
    assert!(
        workflows.entries.len() >= 3,
        "at least three bundled workflows, found {:?}",
        workflows.names().collect::<Vec<_>>()
    );
}

/// Requests in words are routed to these when an agent is available: each must be bundled and
/// must run the `claude` skill, the agent whose presence the routing checks.
#[test]
fn the_agent_workflows_requests_in_words_go_to_are_bundled_and_use_claude() {
    let (_dir, skills, workflows) = catalogs();
    for name in AGENT_WORKFLOWS {
        let entry = workflows
            .get(name)
            .unwrap_or_else(|| panic!("agent workflow `{name}` is not bundled"));
        let workflow = entry
            .get_or_parse(|path, text| parse_workflow(path, text, &skills))
            .as_ref()
            .expect("valid");
        let uses_claude = workflow.flat_steps().iter().any(
            |(step, _)| matches!(&step.kind, StepKind::Skill { skill, .. } if skill == "claude"),
        );
        assert!(uses_claude, "`{name}` has no `claude` step");
    }
}
