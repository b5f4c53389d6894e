//! Verbs about definitions: validate, workflows, skills.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::format::print_json;
use super::{CliError, CliResult, Project};
use crate::definitions::catalog::{Catalog, Source, yaml_files};
use crate::definitions::skills::claude_md::{self, is_skill_md};
use crate::definitions::skills::{SkillCatalog, load_skills, parse_skill_file, skill};
use crate::definitions::workflow::{
    Workflow, WorkflowCatalog, agents, load_workflows, parse_workflow,
};
use crate::diagnostic::Diagnostic;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Workflow,
    Skill,
    Config,
    Policy,
}

/// Tells what a file is from where it lives, else from its top-level keys.
fn kind_of(path: &Path, text: &str) -> Option<Kind> {
    if is_skill_md(path) {
        return Some(Kind::Skill);
    }
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str());
    match parent {
        Some("workflows") => return Some(Kind::Workflow),
        Some("skills") => return Some(Kind::Skill),
        _ => {}
    }
    match path.file_name().and_then(|n| n.to_str()) {
        Some("config.yaml") => return Some(Kind::Config),
        Some("policy.yaml") => return Some(Kind::Policy),
        _ => {}
    }
    let top = |key: &str| text.lines().any(|l| l.starts_with(key));
    if top("steps:") {
        Some(Kind::Workflow)
    } else if top("kind:") || top("command:") {
        Some(Kind::Skill)
    } else {
        None
    }
}

/// The agent steps of a parsed workflow whose agent binary cannot be found here.
fn missing_agents(
    project: &Project,
    path: &Path,
    text: &str,
    workflow: &Workflow,
    skills: &SkillCatalog,
) -> Vec<Diagnostic> {
    let skill_of = |name: &str| skill(skills, name).and_then(|r| r.as_ref().ok());
    agents::missing_agents(
        path,
        text,
        workflow,
        skill_of,
        &project.settings,
        &project.paths.root,
    )
}

fn check_file(project: &Project, path: &Path, skills: &SkillCatalog) -> Vec<Diagnostic> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![Diagnostic::whole_file(path, format!("cannot be read: {e}"))],
    };
    let result = match kind_of(path, &text) {
        Some(Kind::Workflow) => parse_workflow(path, &text, skills).and_then(|w| {
            let missing = missing_agents(project, path, &text, &w, skills);
            crate::diagnostic::Diagnostics(missing).into_result(())
        }),
        Some(Kind::Skill) => parse_skill_file(path, &text).map(|_| ()),
        Some(Kind::Config) => crate::config::load_settings_from_file(path)
            .map(|_| ())
            .map_err(Into::into),
        Some(Kind::Policy) => {
            let root = path
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("."));
            crate::policy::Policy::from_text(path, &text, root).map(|_| ())
        }
        None => Err(Diagnostic::whole_file(
            path,
            "is neither a workflow (no `steps:`) nor a skill (no `kind:`)",
        )
        .into()),
    };
    result.err().map(|d| d.0).unwrap_or_default()
}

/// Every problem of the catalogs. A project workflow whose agent cannot be found here is one;
/// a bundled one is not (it ships with Bosun whether or not its agent is installed, and
/// `bosun doctor` says which agents are missing).
fn check_catalogs(
    project: &Project,
    skills: &SkillCatalog,
    workflows: &WorkflowCatalog,
) -> (usize, Vec<Diagnostic>) {
    let mut problems: Vec<Diagnostic> = skills
        .problems
        .iter()
        .chain(&workflows.problems)
        .cloned()
        .collect();
    for name in skills.names() {
        if let Some(Err(d)) = skill(skills, name) {
            problems.extend(d.0.iter().cloned());
        }
    }
    for entry in workflows.entries.values() {
        match entry.get_or_parse(|p, t| parse_workflow(p, t, skills)) {
            Err(d) => problems.extend(d.0.iter().cloned()),
            Ok(w) if matches!(entry.source, Source::Project(_)) => {
                let path = entry.source.path();
                problems.extend(missing_agents(project, path, &entry.text, w, skills));
            }
            Ok(_) => {}
        }
    }
    (skills.entries.len() + workflows.entries.len(), problems)
}

pub fn validate(project: &Project, paths: &[PathBuf]) -> CliResult {
    let skills = load_skills(&project.paths);
    let (checked, problems) = if paths.is_empty() {
        let workflows = load_workflows(&project.paths);
        let (n, mut problems) = check_catalogs(project, &skills, &workflows);
        let mut n = n;
        for file in [project.paths.config_file(), project.paths.policy_file()] {
            if file.exists() {
                problems.extend(check_file(project, &file, &skills));
                n += 1;
            }
        }
        (n, problems)
    } else {
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                files.extend(yaml_files(path));
                // `.claude/skills` holds a folder per skill.
                files.extend(claude_md::skill_files(path));
            } else {
                files.push(path.clone());
            }
        }
        let problems = files
            .iter()
            .flat_map(|f| check_file(project, f, &skills))
            .collect();
        (files.len(), problems)
    };
    for problem in &problems {
        eprintln!("{problem}");
    }
    if problems.is_empty() {
        println!("{checked} definitions checked: all valid");
        Ok(())
    } else {
        Err(CliError::bad_input(format!(
            "{} in {checked} definitions checked",
            crate::text::count(problems.len() as i64, "problem")
        )))
    }
}

#[derive(Serialize)]
struct Listed<'a> {
    name: &'a str,
    description: &'a str,
    source: String,
    path: String,
    overrides_bundled: bool,
}

fn listing<T>(catalog: &Catalog<T>, json: bool) -> CliResult {
    let rows: Vec<Listed> = catalog
        .entries
        .values()
        .map(|e| Listed {
            name: &e.name,
            description: &e.description,
            source: e.source.describe(),
            path: e.source.path().display().to_string(),
            overrides_bundled: e.overrides_bundled,
        })
        .collect();
    if json {
        return print_json(&rows);
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    for r in &rows {
        let source = if r.overrides_bundled {
            format!("{} (overrides bundled)", r.source)
        } else {
            r.source.clone()
        };
        println!("{:<width$}  {:<8}  {}", r.name, source, r.description);
    }
    for problem in &catalog.problems {
        eprintln!("{problem}");
    }
    Ok(())
}

pub fn workflows(project: &Project, json: bool) -> CliResult {
    listing(&load_workflows(&project.paths), json)
}

pub fn skills(project: &Project, json: bool) -> CliResult {
    listing(&load_skills(&project.paths), json)
}
