//! Reading a workflow file: YAML with positions, then every check DESIGN.md §4 asks for, each
//! problem reported as `FILE:LINE:COL: message`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::model::{
    CHANGED_FILES, Decide, Isolation, OnFailure, Retry, Step, StepKind, Trigger, Workflow};
use crate::config::DurationSpec;
use crate::config::environment::{EnvName, EnvValue, PathEntry};
use crate::definitions::inputs::{InputSpec, is_identifier};
use crate::definitions::skills::{self, SkillCatalog};
use crate::definitions::template::Templates;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::protocol::Risk;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkflow {
    name: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    inputs: BTreeMap<String, InputSpec>,
    #[serde(default)]
    triggers: Vec<Spanned<Trigger>>,
    on_failure: Option<OnFailure>,
    #[serde(default)]
    env: BTreeMap<EnvName, Spanned<EnvValue>>,
    #[serde(default)]
    path: Vec<PathEntry>,
    #[serde(default)]
    isolation: Isolation,
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    #[serde(default)]
    #[allow(dead_code)] // documentation for readers of the YAML
    description: Option<String>,
    skill: Option<Spanned<String>>,
    #[serde(default)]
    with: BTreeMap<String, Spanned<serde_json::Value>>,
    parallel: Option<Vec<Spanned<RawStep>>>,
    decide: Option<Spanned<RawDecide>>,
    #[serde(rename = "if")]
    condition: Option<Spanned<String>>,
    retry: Option<Spanned<Retry>>,
    timeout: Option<Spanned<DurationSpec>>,
    #[serde(default)]
    continue_on_error: bool,
    on_failure: Option<OnFailure>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecide {
    question: String,
    options: Vec<String>,
    default: Option<String>,
    #[serde(default = "medium")]
    risk: Risk,
    timeout: Option<DurationSpec>,
}

fn medium() -> Risk {
    Risk::Medium
}

/// Parses and validates a workflow against the known skills.
pub fn parse_workflow(
    path: &Path,
    text: &str,
    skills: &SkillCatalog,
) -> Result<Workflow, Diagnostics> {
    let mut raw: RawWorkflow = crate::diagnostic::parse_yaml(path, text)?;
    if !raw.triggers.is_empty() {
        // A triggered task gets the changed paths; a task submitted by hand gets none.
        raw.inputs
            .entry(CHANGED_FILES.to_string())
            .or_insert_with(|| InputSpec {
                required: false,
                default: Some(serde_json::Value::String(String::new())),
                description: Some("the changed paths that started the task, one per line".into()),
            });
    }
    let name = raw.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let mut checker = Checker {
        path,
        skills,
        templates: Templates::new(),
        inputs: &raw.inputs,
        step_ids: HashMap::new(),
        current_top: 0,
        problems: Diagnostics::default(),
    };
    for (top, step) in raw.steps.iter().enumerate() {
        checker.collect_ids(std::slice::from_ref(step), top);
    }
    for input in raw.inputs.keys() {
        if !is_identifier(input) {
            checker.problems.push(Diagnostic::whole_file(
                path,
                format!("input name `{input}` must be letters, digits and `_`"),
            ));
        }
    }
    if raw.steps.is_empty() {
        checker.problems.push(Diagnostic::whole_file(
            path,
            "a workflow needs at least one step",
        ));
    }
    for trigger in &raw.triggers {
        checker.trigger(trigger);
    }
    // Rendered before any step runs: they may read inputs, task and project, not steps.
    for value in raw.env.values() {
        checker.check_names(&value.value.0, &value.referenced, "", false);
    }
    let mut steps = Vec::new();
    for (top, step) in raw.steps.iter().enumerate() {
        checker.current_top = top;
        steps.extend(checker.step(step, false));
    }
    let Checker { problems, .. } = checker;
    problems.into_result(Workflow {
        name,
        description: raw.description,
        inputs: raw.inputs,
        triggers: raw.triggers.into_iter().map(|t| t.value).collect(),
        on_failure: raw.on_failure,
        env: raw.env.into_iter().map(|(k, v)| (k.0, v.value.0)).collect(),
        path: raw.path,
        isolation: raw.isolation,
        steps,
    })
}

struct Checker<'a> {
    path: &'a Path,
    skills: &'a SkillCatalog,
    templates: Templates,
    inputs: &'a BTreeMap<String, InputSpec>,
    /// Every step id, where it is first defined, and the index of its top-level step.
    step_ids: HashMap<String, (Location, usize)>,
    /// The index of the top-level step being checked: it may read only steps before it.
    current_top: usize,
    problems: Diagnostics,
}

impl Checker<'_> {
    fn error(&mut self, at: &Location, message: impl Into<String>) {
        self.problems.push(Diagnostic::at(self.path, at, message));
    }

    fn trigger(&mut self, trigger: &Spanned<Trigger>) {
        if trigger.value.watch.is_empty() {
            self.error(
                &trigger.referenced,
                "a watch trigger needs at least one glob",
            );
        }
        for glob in &trigger.value.watch {
            if let Err(e) = super::model::compile_glob(glob) {
                self.error(&trigger.referenced, format!("watch glob `{glob}`: {e}"));
            }
        }
    }

    fn collect_ids(&mut self, steps: &[Spanned<RawStep>], top: usize) {
        for step in steps {
            let id = &step.value.id;
            if let Some((first, _)) = self.step_ids.get(&id.value) {
                let message = format!(
                    "duplicate step id `{}` (first defined at line {})",
                    id.value,
                    first.line()
                );
                self.error(&id.referenced, message);
            } else {
                self.step_ids.insert(id.value.clone(), (id.referenced, top));
            }
            if let Some(children) = &step.value.parallel {
                self.collect_ids(children, top);
            }
        }
    }

    fn step(&mut self, spanned: &Spanned<RawStep>, in_parallel: bool) -> Option<Step> {
        let raw = &spanned.value;
        let at = &spanned.referenced;
        let id = raw.id.value.clone();
        if !is_identifier(&id) {
            self.error(&raw.id.referenced, format!("step id `{id}` must be letters, digits and `_` (it is used as `steps.{id}` in expressions)"));
        }
        let kinds: Vec<&str> = [
            raw.skill.as_ref().map(|_| "skill"),
            raw.parallel.as_ref().map(|_| "parallel"),
            raw.decide.as_ref().map(|_| "decide"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if kinds.len() != 1 {
            let found = if kinds.is_empty() {
                "none".to_string()
            } else {
                kinds.join(", ")
            };
            self.error(at, format!("step `{id}` needs exactly one of `skill`, `parallel` or `decide` (found: {found})"));
            return None;
        }
        if let Some(condition) = &raw.condition {
            self.check_names(&condition.value, &condition.referenced, &id, true);
        }
        if raw.skill.is_none() {
            if let Some(retry) = &raw.retry {
                self.error(&retry.referenced, "`retry` applies only to skill steps");
            }
            if let Some(timeout) = &raw.timeout {
                self.error(
                    &timeout.referenced,
                    "`timeout` applies only to skill steps (a `decide` step has its own)",
                );
            }
            if let Some((key, value)) = raw.with.iter().next() {
                self.error(
                    &value.referenced,
                    format!("`with` ({key}) applies only to skill steps"),
                );
            }
        }
        let kind = if let Some(skill) = &raw.skill {
            self.skill_step(raw, skill)?
        } else if let Some(children) = &raw.parallel {
            if in_parallel {
                self.error(
                    at,
                    "a `parallel` block cannot contain another `parallel` block",
                );
                return None;
            }
            if children.is_empty() {
                self.error(at, format!("parallel block `{id}` has no steps"));
            }
            let steps = children.iter().filter_map(|c| self.step(c, true)).collect();
            StepKind::Parallel { steps }
        } else {
            let decide = raw.decide.as_ref()?;
            StepKind::Decide(self.decide(decide, &id)?)
        };
        Some(Step {
            id,
            condition: raw.condition.as_ref().map(|c| c.value.clone()),
            continue_on_error: raw.continue_on_error,
            on_failure: raw.on_failure,
            kind,
        })
    }

    fn skill_step(&mut self, raw: &RawStep, skill: &Spanned<String>) -> Option<StepKind> {
        let name = &skill.value;
        match skills::skill(self.skills, name) {
            None => {
                let known: Vec<&str> = self.skills.names().collect();
                self.error(
                    &skill.referenced,
                    format!("unknown skill `{name}` (known: {})", known.join(", ")),
                );
                None
            }
            Some(Err(own)) => {
                let message = format!(
                    "skill `{name}` is invalid: {}",
                    own.0.first().map(|d| d.to_string()).unwrap_or_default()
                );
                self.error(&skill.referenced, message);
                None
            }
            Some(Ok(def)) => {
                for (key, value) in &raw.with {
                    if !def.inputs.contains_key(key) {
                        let known: Vec<&str> = def.inputs.keys().map(String::as_str).collect();
                        let known = if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        };
                        self.error(
                            &value.referenced,
                            format!("skill `{name}` has no input `{key}` (it takes: {known})"),
                        );
                    }
                    if let serde_json::Value::String(template) = &value.value {
                        self.check_names(template, &value.referenced, &raw.id.value, false);
                    }
                }
                for (input, spec) in &def.inputs {
                    if spec.required && spec.default.is_none() && !raw.with.contains_key(input) {
                        self.error(
                            &skill.referenced,
                            format!(
                                "skill `{name}` needs the input `{input}` (add it under `with`)"
                            ),
                        );
                    }
                }
                if let Some(retry) = &raw.retry
                    && retry.value.attempts == 0
                {
                    self.error(
                        &retry.referenced,
                        "`retry.attempts` counts every attempt and must be at least 1",
                    );
                }
                Some(StepKind::Skill {
                    skill: name.clone(),
                    with: raw
                        .with
                        .iter()
                        .map(|(k, v)| (k.clone(), v.value.clone()))
                        .collect(),
                    retry: raw.retry.as_ref().map(|r| r.value.clone()),
                    timeout: raw.timeout.as_ref().map(|t| t.value),
                })
            }
        }
    }

    fn decide(&mut self, spanned: &Spanned<RawDecide>, own_id: &str) -> Option<Decide> {
        let raw = &spanned.value;
        let at = &spanned.referenced;
        // The question is a template, like a `with` value: checked here, rendered when asked.
        self.check_names(&raw.question, at, own_id, false);
        if raw.options.is_empty() {
            self.error(at, "a `decide` step needs at least one option");
            return None;
        }
        let default = match &raw.default {
            Some(d) if raw.options.contains(d) => d.clone(),
            Some(d) => {
                self.error(
                    at,
                    format!(
                        "default `{d}` is not one of the options ({})",
                        raw.options.join(", ")
                    ),
                );
                return None;
            }
            None => {
                self.error(
                    at,
                    "a `decide` step needs a `default`: it is taken when nobody answers in time",
                );
                return None;
            }
        };
        Some(Decide {
            question: raw.question.clone(),
            options: raw.options.clone(),
            default,
            risk: raw.risk,
            timeout: raw.timeout,
        })
    }

    /// Compiles a template or expression and checks every name it reads.
    fn check_names(&mut self, source: &str, at: &Location, own_id: &str, expression: bool) {
        let what = if expression { "expression" } else { "template" };
        let names = if expression {
            self.templates.check_expression(source)
        } else {
            self.templates.check_template(source)
        };
        let names: BTreeSet<String> = match names {
            Ok(names) => names,
            Err(e) => {
                self.error(at, format!("bad {what} `{source}`: {e}"));
                return;
            }
        };
        for name in names {
            let mut parts = name.split('.');
            let root = parts.next().unwrap_or_default();
            let field = parts.next();
            let problem = match (root, field) {
                ("inputs", Some(input)) if !self.inputs.contains_key(input) => {
                    Some(format!("`inputs.{input}` is not an input of this workflow"))
                }
                ("steps", Some(step)) if step == own_id => {
                    Some(format!("step `{own_id}` cannot read its own result"))
                }
                ("steps", Some(step)) => match self.step_ids.get(step) {
                    None => Some(format!("`steps.{step}` names no step of this workflow")),
                    Some((_, top)) if *top >= self.current_top => Some(format!(
                        "`steps.{step}` has not run yet when this step starts (it comes later, or runs alongside it)"
                    )),
                    Some(_) => None,
                },
                ("inputs" | "steps" | "task" | "project", _) => None,
                (other, _) => Some(format!(
                    "unknown name `{other}` (a {what} sees inputs, task, steps and project)"
                )),
            };
            if let Some(problem) = problem {
                self.error(at, format!("in {what} `{source}`: {problem}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::catalog::Catalog;
    use crate::definitions::skills::BUNDLED_SKILLS;

    fn check(text: &str) -> Result<Workflow, Diagnostics> {
        let skills = Catalog::load("skills", BUNDLED_SKILLS, Path::new("/nonexistent"));
        parse_workflow(Path::new("w.yaml"), text, &skills)
    }

    #[test]
    fn steps_may_read_only_steps_that_ran_before_them() {
        let ok = "steps:\n  - { id: a, skill: git-status }\n  - { id: b, if: steps.a.ok, skill: git-status }\n";
        assert!(check(ok).is_ok());
        let later = "steps:\n  - { id: a, if: steps.b.ok, skill: git-status }\n  - { id: b, skill: git-status }\n";
        let err = check(later).expect_err("reads a later step");
        assert!(
            err.to_string().contains("w.yaml:2:") && err.to_string().contains("has not run yet"),
            "{err}"
        );
        let sibling = "steps:\n  - id: p\n    parallel:\n      - { id: a, skill: git-status }\n      - { id: b, if: steps.a.ok, skill: git-status }\n";
        assert!(
            check(sibling)
                .expect_err("reads a sibling")
                .to_string()
                .contains("has not run yet")
        );
    }

    #[test]
    fn a_whole_workflow_parses_into_the_model() {
        let w = check(
            "name: ci\nsteps:\n  - id: fmt\n    skill: cargo-fmt\n  - id: checks\n    parallel:\n      - { id: test, skill: cargo-test, retry: { attempts: 3, backoff: 1s }, timeout: 10m }\n  - id: ship\n    if: steps.test.ok\n    decide: { question: Push?, options: [push, hold], default: hold, risk: high }\n",
        )
        .expect("valid");
        assert_eq!(w.name, "ci");
        let ids: Vec<&str> = w.flat_steps().iter().map(|(s, _)| s.id.as_str()).collect();
        assert_eq!(ids, ["fmt", "checks", "test", "ship"]);
        assert!(
            matches!(&w.steps[2].kind, StepKind::Decide(d) if d.default == "hold" && d.risk == Risk::High)
        );
    }

    #[test]
    fn env_and_path_are_read_and_bad_ones_are_placed() {
        let w = check("env: { CI: true, WHO: \"{{ task.id }}\" }\npath: [.venv/bin]\nsteps:\n  - { id: a, skill: git-status }\n")
            .expect("valid");
        assert_eq!(w.env.get("CI").map(String::as_str), Some("true"));
        assert_eq!(w.path.len(), 1);
        let err = check("env:\n  \"BAD NAME\": x\nsteps:\n  - { id: a, skill: git-status }\n")
            .expect_err("bad name");
        assert!(err.to_string().starts_with("w.yaml:2:"), "{err}");
        let err = check(
            "env: { X: \"{{ steps.a.output }}\" }\nsteps:\n  - { id: a, skill: git-status }\n",
        )
        .expect_err("reads a step");
        assert!(err.to_string().contains("has not run yet"), "{err}");
        let err = check("path: [\"a:b\"]\nsteps:\n  - { id: a, skill: git-status }\n")
            .expect_err("colon");
        assert!(err.to_string().starts_with("w.yaml:1:"), "{err}");
    }
}
