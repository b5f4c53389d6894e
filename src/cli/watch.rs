//! `bosun watch --dry-run`: watches the project as the engine does and prints, live, which
//! changes would start which workflows — for a user debugging their globs. Nothing is started.
//! Edited workflows are read again as they change (an invalid one keeps its last good version,
//! as in the engine).

use std::io::Write;

use super::{CliError, CliResult, Project};
use crate::engine::triggers::plans::LastGood;
use crate::watch::{Batch, TriggerSet};

pub async fn watch(project: &Project, dry_run: bool, json: bool) -> CliResult {
    if !dry_run {
        return Err(CliError::bad_input(
            "`bosun watch` takes --dry-run: the engine (`bosun run`, or `bosun`) watches by itself",
        ));
    }
    let mut good = LastGood::default();
    let set = reload(project, &mut good);
    let (watcher, watching, mut batches) =
        crate::watch::start(&project.paths.root).map_err(CliError::failed)?;
    if let Some(limited) = &watching.limited {
        eprintln!("bosun: {limited}");
    }
    eprintln!(
        "bosun: watching {} ({} directories); Ctrl-C stops",
        project.paths.root.display(),
        watching.directories
    );
    describe(&set);
    let mut set = set;
    let mut out = std::io::stdout().lock();
    loop {
        tokio::select! {
            batch = batches.recv() => {
                let Some(batch) = batch else { break };
                if !batch.definitions.is_empty() {
                    set = reload(project, &mut good);
                    eprintln!("bosun: definitions changed; read again");
                    describe(&set);
                }
                if print(&mut out, &batch, &set, json).is_err() {
                    break;
                }
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    watcher.stop();
    Ok(())
}

fn reload(project: &Project, good: &mut LastGood) -> TriggerSet {
    for (path, message) in good.reload(&project.paths) {
        eprintln!(
            "bosun: {} is invalid (its last good version is used):\n{message}",
            path.display()
        );
    }
    good.triggers()
}

fn describe(set: &TriggerSet) {
    if set.is_empty() {
        eprintln!("bosun: no workflow has a watch trigger; changes are listed all the same");
    }
    for spec in set.specs() {
        eprintln!(
            "bosun: {} starts on {} (debounce {}, on_busy {})",
            spec.workflow,
            spec.globs.join(", "),
            humantime::format_duration(spec.debounce),
            format!("{:?}", spec.on_busy).to_lowercase()
        );
    }
}

fn print(out: &mut impl Write, batch: &Batch, set: &TriggerSet, json: bool) -> std::io::Result<()> {
    let now = time::OffsetDateTime::now_utc().to_offset(crate::time::local_offset());
    let clock = format!("{:02}:{:02}:{:02}", now.hour(), now.minute(), now.second());
    for change in &batch.files {
        let workflows: Vec<&str> = set
            .matching(&change.path)
            .into_iter()
            .map(|i| set.specs()[i].workflow.as_str())
            .collect();
        let path = change.path.display();
        if json {
            let line = serde_json::json!({
                "at": crate::time::now_rfc3339(),
                "path": path.to_string(),
                "workflows": workflows,
            });
            writeln!(out, "{line}")?;
        } else if workflows.is_empty() {
            writeln!(out, "{clock}  {path}  → nothing")?;
        } else {
            writeln!(out, "{clock}  {path}  → {}", workflows.join(", "))?;
        }
    }
    out.flush()
}
