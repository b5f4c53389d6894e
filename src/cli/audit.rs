//! `bosun audit verify`: checks the hash chain of the project's audit log and names every line
//! that is wrong as `FILE:LINE: message`, the form editors jump to.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::format::print_json;
use super::{CliError, CliResult, Project};
use crate::store::audit::{self, Problem};

#[derive(Serialize)]
struct Verdict<'a> {
    ok: bool,
    records: u64,
    path: String,
    problems: &'a [Problem],
}

/// Checks `.bosun/audit.jsonl`; exit 1 if any line is wrong (JSON output included).
pub(crate) fn verify(project: &Project, json: bool) -> CliResult {
    let path = project.paths.audit_log();
    let report = audit::verify(&path).map_err(CliError::failed)?;
    let shown = shown(&path);
    if json {
        print_json(&Verdict {
            ok: report.is_intact(),
            records: report.records,
            path: shown.display().to_string(),
            problems: &report.problems,
        })?;
    } else if report.is_intact() {
        if path.exists() {
            println!(
                "audit log ok: {} records, chain intact ({})",
                report.records,
                shown.display()
            );
        } else {
            println!(
                "audit log ok: 0 records ({} does not exist yet)",
                shown.display()
            );
        }
    } else {
        for problem in &report.problems {
            eprintln!("{}:{}: {}", shown.display(), problem.line, problem.message);
        }
    }
    if report.is_intact() {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "the audit log is not intact: {} in {} records",
            crate::text::count(report.problems.len() as i64, "problem"),
            report.records
        )))
    }
}

/// The path relative to the current directory when it lies below it, as people type it.
fn shown(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}
