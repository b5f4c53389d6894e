//! Whether a workflow's agent steps could start their agent on this machine: each step whose
//! skill is `kind: agent` needs its adapter's binary (`agents.<adapter>.command`), found as the
//! engine would start it. A missing one is reported at the step's `skill:` in the workflow
//! file, so `bosun validate` and `bosun submit` say the same thing, before any task runs.
//!
//! This is a check of the machine, not of what the user wrote: parsing a workflow never does
//! it (a workflow stays valid when its agent is installed later), only its callers do.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::{StepKind, Workflow};
use crate::config::Settings;
use crate::config::locate::{AgentBinary, StepLayers};
use crate::definitions::skills::{Skill, SkillKind};
use crate::diagnostic::Diagnostic;

/// Just the steps' ids and skills of a workflow file, with where each `skill:` is written.
#[derive(Debug, Default, Deserialize)]
struct Spans {
    #[serde(default)]
    steps: Vec<SpannedStep>,
}

#[derive(Debug, Deserialize)]
struct SpannedStep {
    id: Option<String>,
    skill: Option<Spanned<String>>,
    #[serde(default)]
    parallel: Vec<SpannedStep>,
}

/// Where each step's `skill:` value is, by step id.
fn skill_locations(text: &str) -> HashMap<String, Location> {
    fn walk(steps: &[SpannedStep], out: &mut HashMap<String, Location>) {
        for step in steps {
            if let (Some(id), Some(skill)) = (&step.id, &step.skill) {
                out.entry(id.clone()).or_insert(skill.referenced);
            }
            walk(&step.parallel, out);
        }
    }
    let spans: Spans = serde_saphyr::from_str(text).unwrap_or_default();
    let mut out = HashMap::new();
    walk(&spans.steps, &mut out);
    out
}

/// The agent steps of `workflow`: each one's id and skill.
pub fn agent_steps<'a>(
    workflow: &'a Workflow,
    skill_of: impl Fn(&str) -> Option<&'a Skill>,
) -> Vec<(&'a str, &'a Skill)> {
    workflow
        .flat_steps()
        .into_iter()
        .filter_map(|(step, _)| match &step.kind {
            StepKind::Skill { skill, .. } => skill_of(skill)
                .filter(|def| def.kind == SkillKind::Agent)
                .map(|def| (step.id.as_str(), def)),
            _ => None,
        })
        .collect()
}

/// The adapters `workflow` needs.
pub fn adapters<'a>(
    workflow: &'a Workflow,
    skill_of: impl Fn(&str) -> Option<&'a Skill>,
) -> BTreeSet<String> {
    agent_steps(workflow, skill_of)
        .into_iter()
        .filter_map(|(_, skill)| skill.adapter.clone())
        .collect()
}

/// One problem for each agent step of `workflow` (read from `file`, whose text is `text`)
/// whose agent cannot be found with `settings`, at the step's `skill:`.
pub fn missing_agents<'a>(
    file: &Path,
    text: &str,
    workflow: &'a Workflow,
    skill_of: impl Fn(&str) -> Option<&'a Skill>,
    settings: &Settings,
    root: &Path,
) -> Vec<Diagnostic> {
    let steps = agent_steps(workflow, skill_of);
    if steps.is_empty() {
        return Vec::new();
    }
    let locations = skill_locations(text);
    let mut problems = Vec::new();
    for (id, skill) in steps {
        let adapter = skill.adapter.as_deref().unwrap_or_default();
        let Some(agent) = settings.agents.get(adapter) else {
            continue;
        };
        let layers = StepLayers {
            workflow_env: Some(&workflow.env),
            workflow_path: &workflow.path,
            skill_env: Some(&skill.env),
        };
        let binary = AgentBinary::locate(adapter, agent, settings, layers, root);
        if binary.undecided() {
            continue;
        }
        let Some(why) = binary.missing() else {
            continue;
        };
        let message = format!(
            "step `{id}` (skill `{}`) needs the {adapter} agent, but {why}",
            skill.name
        );
        problems.push(match locations.get(id) {
            Some(at) => Diagnostic::at(file, at, message),
            None => Diagnostic::whole_file(file, message),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::skills::{BUNDLED_SKILLS, SkillCatalog};
    use crate::definitions::workflow::parse_workflow;

    const WORKFLOW: &str = "name: review\nsteps:\n  - id: test\n    skill: shell\n    \
        with: { run: \"true\" }\n  - id: both\n    parallel:\n      - id: ask\n        \
        skill: claude\n        with: { prompt: hi }\n";

    #[test]
    fn a_missing_agent_is_reported_at_its_step() {
        let dir = tempfile::tempdir().expect("tempdir");
        let skills = SkillCatalog::load("skills", BUNDLED_SKILLS, &dir.path().join("none"));
        let file = Path::new("w.yaml");
        let workflow = parse_workflow(file, WORKFLOW, &skills).expect("valid");
        let skill_of = |name: &str| {
            crate::definitions::skills::skill(&skills, name).and_then(|r| r.as_ref().ok())
        };
        assert_eq!(
            adapters(&workflow, skill_of),
            BTreeSet::from(["claude-code".to_string()])
        );
        let mut settings = Settings::default();
        if let Some(agent) = settings.agents.get_mut("claude-code") {
            agent.command = "bosun-test-no-such-agent".into();
        }
        let problems = missing_agents(file, WORKFLOW, &workflow, skill_of, &settings, dir.path());
        assert_eq!(problems.len(), 1, "{problems:?}");
        let text = problems[0].to_string();
        assert!(
            text.starts_with("w.yaml:9:16: step `ask` (skill `claude`) needs the claude-code agent, but `bosun-test-no-such-agent` is not on PATH"),
            "{text}"
        );
        if let Some(agent) = settings.agents.get_mut("claude-code") {
            agent.command = "/bin/sh".into();
        }
        assert!(
            missing_agents(file, WORKFLOW, &workflow, skill_of, &settings, dir.path()).is_empty()
        );
    }
}
