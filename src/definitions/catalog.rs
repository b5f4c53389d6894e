//! Finding definitions (skills, workflows) by name: the bundled ones compiled into the binary,
//! overridden by the project's `.bosun/<kind>/*.yaml`.
//!
//! Only names and descriptions are read when the catalog is built; a definition is fully parsed
//! and validated on first use, and the result is kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::config::ProjectPaths;
use crate::diagnostic::{Diagnostic, Diagnostics};

/// Where a definition comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Compiled in; the path is shown as `<bundled>/skills/shell.yaml`.
    Bundled(PathBuf),
    Project(PathBuf),
}

impl Source {
    pub fn path(&self) -> &Path {
        match self {
            Source::Bundled(p) | Source::Project(p) => p,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Source::Bundled(_) => "bundled".to_string(),
            Source::Project(p) => p.display().to_string(),
        }
    }
}

/// One indexed definition.
#[derive(Debug)]
pub struct Entry<T> {
    pub name: String,
    pub description: String,
    pub source: Source,
    /// True when a project file replaces a bundled definition of the same name.
    pub overrides_bundled: bool,
    pub text: String,
    parsed: OnceLock<Result<T, Diagnostics>>,
}

impl<T> Entry<T> {
    /// The parsed definition, parsing it with `parse` on first use.
    pub fn get_or_parse(
        &self,
        parse: impl FnOnce(&Path, &str) -> Result<T, Diagnostics>,
    ) -> &Result<T, Diagnostics> {
        self.parsed
            .get_or_init(|| parse(self.source.path(), &self.text))
    }
}

/// Definitions of one kind, by name.
#[derive(Debug)]
pub struct Catalog<T> {
    pub entries: BTreeMap<String, Entry<T>>,
    /// Files that could not be indexed at all (unreadable) or that clash.
    pub problems: Vec<Diagnostic>,
}

#[derive(Deserialize)]
struct Header {
    name: Option<String>,
    description: Option<String>,
}

/// Reads just the name and description; a broken file is indexed under its file stem so that
/// using it reports the full error.
fn header(path: &Path, text: &str) -> (String, String) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match serde_saphyr::from_str::<Header>(text) {
        Ok(h) => (h.name.unwrap_or(stem), h.description.unwrap_or_default()),
        Err(_) => (stem, "(does not parse: run `bosun validate`)".to_string()),
    }
}

impl<T> Catalog<T> {
    /// Indexes `bundled` (file name, text) and then every `*.yaml`/`*.yml` in `dir`.
    pub fn load(kind: &str, bundled: &[(&str, &str)], dir: &Path) -> Catalog<T> {
        let mut catalog = Catalog {
            entries: BTreeMap::new(),
            problems: Vec::new(),
        };
        for (file, text) in bundled {
            let path = PathBuf::from(format!("<bundled>/{kind}/{file}"));
            catalog.add(Source::Bundled(path), (*text).to_string());
        }
        for path in yaml_files(dir) {
            match std::fs::read_to_string(&path) {
                Ok(text) => catalog.add(Source::Project(path), text),
                Err(e) => catalog.problems.push(Diagnostic::whole_file(
                    &path,
                    format!("cannot be read: {e}"),
                )),
            }
        }
        catalog
    }

    fn add(&mut self, source: Source, text: String) {
        let (name, description) = header(source.path(), &text);
        self.insert(source, text, name, description);
    }

    /// Indexes a definition read elsewhere (a Claude Code skill), by the name and description
    /// its own format gives. A second definition of a name is a problem and is not indexed,
    /// unless a project file replaces a bundled one.
    pub fn insert(&mut self, source: Source, text: String, name: String, description: String) {
        let mut overrides_bundled = false;
        if let Some(previous) = self.entries.get(&name) {
            match (&previous.source, &source) {
                (Source::Bundled(_), Source::Project(_)) => overrides_bundled = true,
                _ => {
                    self.problems.push(Diagnostic::whole_file(
                        source.path(),
                        format!(
                            "defines `{name}` again (also in {})",
                            previous.source.path().display()
                        ),
                    ));
                    return;
                }
            }
        }
        self.entries.insert(
            name.clone(),
            Entry {
                name,
                description,
                source,
                overrides_bundled,
                text,
                parsed: OnceLock::new(),
            },
        );
    }

    pub fn get(&self, name: &str) -> Option<&Entry<T>> {
        self.entries.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// The YAML files in `dir`, sorted; none if it does not exist.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    files
}

/// Where a project keeps definitions of one kind.
pub fn project_dir(paths: &ProjectPaths, kind: &str) -> PathBuf {
    paths.bosun_dir.join(kind)
}
