//! Skills: what a step runs. The bundled set is compiled in; `.bosun/skills/*.yaml` adds to it
//! or overrides it by name; the project's Claude Code skills (`.claude/skills/*/SKILL.md`) join
//! it as `claude:<name>` agent skills ([`claude_md`]).

mod bundled;
pub mod claude_md;
mod spec;

use std::path::Path;

use crate::config::ProjectPaths;
use crate::definitions::catalog::{self, Catalog};
use crate::diagnostic::Diagnostics;

pub use bundled::BUNDLED_SKILLS;
pub use spec::{Skill, SkillKind, parse_skill};

/// Every known skill.
pub type SkillCatalog = Catalog<Skill>;

/// Indexes the bundled skills, the project's, and the project's Claude Code skills.
pub fn load_skills(paths: &ProjectPaths) -> SkillCatalog {
    let mut catalog = Catalog::load(
        "skills",
        BUNDLED_SKILLS,
        &catalog::project_dir(paths, "skills"),
    );
    claude_md::index(&mut catalog, &paths.root);
    catalog
}

/// Parses a skill file of either format: a SKILL.md, or a skill manifest in YAML.
pub fn parse_skill_file(path: &Path, text: &str) -> Result<Skill, Diagnostics> {
    if claude_md::is_skill_md(path) {
        claude_md::parse_skill_md(path, text)
    } else {
        parse_skill(path, text)
    }
}

/// The named skill, parsed and validated (on first use).
pub fn skill<'a>(
    catalog: &'a SkillCatalog,
    name: &str,
) -> Option<&'a Result<Skill, crate::diagnostic::Diagnostics>> {
    catalog
        .get(name)
        .map(|entry| entry.get_or_parse(parse_skill_file))
}
