//! Skills: what a step runs. The bundled set is compiled in; `.bosun/skills/*.yaml` adds to it
//! or overrides it by name.

mod bundled;
mod spec;

use crate::config::ProjectPaths;
use crate::definitions::catalog::{self, Catalog};

pub use bundled::BUNDLED_SKILLS;
pub use spec::{Skill, SkillKind, parse_skill};

/// Every known skill.
pub type SkillCatalog = Catalog<Skill>;

/// Indexes the bundled skills and the project's.
pub fn load_skills(paths: &ProjectPaths) -> SkillCatalog {
    Catalog::load(
        "skills",
        BUNDLED_SKILLS,
        &catalog::project_dir(paths, "skills"),
    )
}

/// The named skill, parsed and validated (on first use).
pub fn skill<'a>(
    catalog: &'a SkillCatalog,
    name: &str,
) -> Option<&'a Result<Skill, crate::diagnostic::Diagnostics>> {
    catalog
        .get(name)
        .map(|entry| entry.get_or_parse(parse_skill))
}
