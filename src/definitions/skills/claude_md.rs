//! Claude Code skills (`.claude/skills/<dir>/SKILL.md`, DESIGN.md §2) offered as Bosun agent
//! skills. A SKILL.md is YAML front matter between `---` lines (`name`, `description`; other keys
//! such as `allowed-tools` are Claude Code's and ignored: Bosun's policy decides every tool call)
//! followed by instructions in Markdown. Each becomes a `kind: agent` skill of the `claude-code`
//! adapter whose prompt carries the instructions, then the step's `prompt` input (the task's
//! description when it is empty).
//!
//! They are named `claude:<name>`: the prefix keeps them apart from Bosun's own skills, whose
//! names they would often share (`review`, `commit`, `test`), and says at the use site which
//! agent runs them. Like other skills they are indexed by name and description when the
//! catalog is built and parsed in full on first use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Skill, SkillKind};
use crate::config::DurationSpec;
use crate::definitions::catalog::{Catalog, Source};
use crate::definitions::inputs::InputSpec;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::protocol::Risk;

/// What a Claude Code skill's name is prefixed with in Bosun.
pub const PREFIX: &str = "claude:";
/// The file a Claude Code skill's folder holds.
pub const FILE: &str = "SKILL.md";
/// Where a project keeps them, under its root.
pub const DIR: &str = ".claude/skills";

const MAX_TURNS: u32 = 30;
const TIMEOUT_SECS: u64 = 30 * 60;

/// True for a file Bosun reads as a Claude Code skill.
pub fn is_skill_md(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == FILE)
}

/// Every `<dir>/*/SKILL.md`, sorted; none if `dir` does not exist.
pub fn skill_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join(FILE))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Adds the project's Claude Code skills to `catalog`, by name and description only.
pub fn index(catalog: &mut Catalog<Skill>, root: &Path) {
    for path in skill_files(&root.join(DIR)) {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let (name, description) = header(&path, &text);
                catalog.insert(Source::Project(path), text, name, description);
            }
            Err(e) => catalog.problems.push(Diagnostic::whole_file(
                &path,
                format!("cannot be read: {e}"),
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
struct FrontMatter {
    name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
}

/// The front matter (its first line blanked, so that YAML positions are the file's) and the
/// instructions after it; `None` without front matter.
fn split(text: &str) -> Option<(String, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    let mut yaml = String::from("\n");
    let mut offset = text.find('\n')? + 1;
    for line in lines {
        offset += line.len();
        if matches!(line.trim_end(), "---" | "...") {
            return Some((yaml, &text[offset..]));
        }
        yaml.push_str(line);
    }
    None
}

/// The folder name: what a skill without a `name` is indexed under, so that using it reports
/// the problem.
fn folder(path: &Path) -> String {
    path.parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The prefixed name and the description, for the index.
pub fn header(path: &Path, text: &str) -> (String, String) {
    let front = split(text).and_then(|(yaml, _)| serde_saphyr::from_str::<FrontMatter>(&yaml).ok());
    match front {
        Some(front) => (
            format!(
                "{PREFIX}{}",
                front.name.map(|n| n.value).unwrap_or_else(|| folder(path))
            ),
            front.description.map(|d| d.value).unwrap_or_default(),
        ),
        None => (
            format!("{PREFIX}{}", folder(path)),
            "(does not parse: run `bosun validate`)".to_string(),
        ),
    }
}

/// A name as the Agent Skills format allows: lowercase letters, digits and hyphens, 64 at most.
fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 64 {
        Some("a skill name has 1 to 64 characters")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some("a skill name is lowercase letters, digits and hyphens")
    } else {
        None
    }
}

/// The prompt template: the instructions verbatim (never read as a template), then the step's
/// request.
fn prompt_template(name: &str, folder: &str, instructions: &str) -> String {
    // Inside a raw block only `endraw` ends it: every one in the text is split out of the block.
    let verbatim = instructions.replace("endraw", "end{% endraw %}raw{% raw %}");
    format!(
        "Follow the Claude Code skill `{name}` below. Its files are in `{DIR}/{folder}/`: paths \
         in it are relative to that folder.\n\n<skill name=\"{name}\">\n{{% raw %}}{}{{% endraw %}}\n\
         </skill>\n\n{{% if prompt %}}{{{{ prompt }}}}{{% else %}}{{{{ task.description }}}}{{% endif %}}\n",
        verbatim.trim()
    )
}

fn input(description: &str) -> InputSpec {
    InputSpec {
        required: false,
        default: Some(serde_json::Value::String(String::new())),
        description: Some(description.to_string()),
    }
}

/// Parses and checks a SKILL.md into an agent skill.
pub fn parse_skill_md(path: &Path, text: &str) -> Result<Skill, Diagnostics> {
    let Some((yaml, body)) = split(text) else {
        return Err(Diagnostic::new(
            path,
            1,
            1,
            "a SKILL.md opens with YAML front matter between `---` lines, giving `name` and `description`",
        )
        .into());
    };
    let front: FrontMatter = crate::diagnostic::parse_yaml(path, &yaml)?;
    let mut problems = Diagnostics::default();
    let name = match &front.name {
        None => {
            problems.push(Diagnostic::new(
                path,
                1,
                1,
                "the front matter needs a `name` (lowercase letters, digits and hyphens)",
            ));
            folder(path)
        }
        Some(name) => {
            if let Some(problem) = name_problem(&name.value) {
                problems.push(Diagnostic::at(
                    path,
                    &name.referenced,
                    format!("name `{}`: {problem}", name.value),
                ));
            }
            name.value.clone()
        }
    };
    let description = match &front.description {
        Some(d) if !d.value.trim().is_empty() => d.value.clone(),
        Some(d) => {
            problems.push(Diagnostic::at(
                path,
                &d.referenced,
                "`description` is empty",
            ));
            String::new()
        }
        None => {
            problems.push(Diagnostic::new(
                path,
                1,
                1,
                "the front matter needs a `description` (what the skill does and when to use it)",
            ));
            String::new()
        }
    };
    if body.trim().is_empty() {
        problems.push(Diagnostic::whole_file(
            path,
            "has no instructions after its front matter",
        ));
    }
    let inputs = BTreeMap::from([
        (
            "prompt".to_string(),
            input("what to do with the skill (the task's description when empty)"),
        ),
        (
            "schema".to_string(),
            input("a JSON schema; the answer then lands in steps.<id>.result"),
        ),
    ]);
    problems.into_result(Skill {
        name: format!("{PREFIX}{name}"),
        description,
        kind: SkillKind::Agent,
        inputs,
        command: Vec::new(),
        env: BTreeMap::new(),
        workdir: None,
        timeout: Some(DurationSpec(std::time::Duration::from_secs(TIMEOUT_SECS))),
        risk: Risk::Medium,
        adapter: Some("claude-code".to_string()),
        prompt: Some(prompt_template(&name, &folder(path), body)),
        max_turns: Some(MAX_TURNS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::template::Templates;

    const GOOD: &str = "---\nname: changelog\ndescription: Write the CHANGELOG entry for a change\nallowed-tools: Read, Edit\n---\n\n# Changelog\n\nAdd one line under `## Unreleased` for {{ the change }}. {% endraw %}\n";

    fn path() -> PathBuf {
        PathBuf::from("/p/.claude/skills/changelog/SKILL.md")
    }

    fn render(skill: &Skill, prompt: &str) -> String {
        let scope = minijinja::Value::from(minijinja::value::Serde(serde_json::json!({
            "prompt": prompt,
            "schema": "",
            "task": { "description": "the task" },
        })));
        Templates::new()
            .render(skill.prompt.as_deref().expect("a prompt"), &scope)
            .expect("renders")
    }

    #[test]
    fn a_skill_md_becomes_an_agent_skill_carrying_its_instructions_verbatim() {
        let skill = parse_skill_md(&path(), GOOD).expect("valid");
        assert_eq!(skill.name, "claude:changelog");
        assert_eq!(skill.description, "Write the CHANGELOG entry for a change");
        assert_eq!(skill.kind, SkillKind::Agent);
        assert_eq!(skill.adapter.as_deref(), Some("claude-code"));
        let prompt = render(&skill, "for the new --json flag");
        assert!(
            prompt.contains("under `## Unreleased` for {{ the change }}. {% endraw %}"),
            "{prompt}"
        );
        assert!(prompt.contains("`.claude/skills/changelog/`"), "{prompt}");
        assert!(
            prompt.trim_end().ends_with("for the new --json flag"),
            "{prompt}"
        );
        assert!(render(&skill, "").trim_end().ends_with("the task"));
        assert_eq!(
            header(&path(), GOOD),
            (
                "claude:changelog".to_string(),
                "Write the CHANGELOG entry for a change".to_string()
            )
        );
    }

    #[test]
    fn problems_are_placed_in_the_file() {
        let err = parse_skill_md(&path(), "# no front matter\n").expect_err("no front matter");
        assert!(
            err.to_string()
                .contains("SKILL.md:1:1: a SKILL.md opens with YAML front matter"),
            "{err}"
        );
        let err = parse_skill_md(
            &path(),
            "---\ndescription: x\nname: Change Log\n---\nbody\n",
        )
        .expect_err("bad name");
        assert!(
            err.to_string()
                .contains("SKILL.md:3:7: name `Change Log`: a skill name is lowercase"),
            "{err}"
        );
        let err =
            parse_skill_md(&path(), "---\nname: changelog\n---\n\n").expect_err("no description");
        let text = err.to_string();
        assert!(
            text.contains("needs a `description`") && text.contains("no instructions"),
            "{text}"
        );
        let err = parse_skill_md(&path(), "---\nname: [x\n---\nbody\n").expect_err("bad yaml");
        assert!(err.to_string().contains("SKILL.md:2:"), "{err}");
        // Unparsable skills are still indexed, under their folder's name.
        assert_eq!(header(&path(), "no front matter").0, "claude:changelog");
    }
}
