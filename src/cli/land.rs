//! `bosun diff | merge | discard`: reviewing a worktree task's branch and landing it or
//! throwing it away (DESIGN.md §9). The merge runs here, through the project's merge queue,
//! whether or not an engine runs.

use std::io::IsTerminal;

use super::tasks::{open_store, resolve};
use super::{CliError, CliResult, Project};
use crate::cli::format::print_json;
use crate::engine::landing::{LandError, Landing, MergeOutcome, describe};
use crate::protocol::MergeStrategy;
use crate::store::worktrees::read;

impl From<LandError> for CliError {
    fn from(e: LandError) -> CliError {
        match e {
            LandError::Invalid(m) => CliError::bad_input(m),
            LandError::Failed(m) => CliError::failed(m),
            LandError::Store(e) => e.into(),
        }
    }
}

pub async fn diff(project: &Project, task: &str, stat_only: bool, json: bool) -> CliResult {
    let store = open_store(project).await?;
    let result = async {
        let id = resolve(&store, task).await?;
        let color = !json && std::io::stdout().is_terminal();
        let diff = Landing::new(&store, &project.paths)
            .diff(&id, color)
            .await?;
        let view = read::view(&store.reader, &id).await?;
        Ok::<_, CliError>((diff, view))
    }
    .await;
    store.close().await;
    let (diff, view) = result?;
    if json {
        return print_json(&serde_json::json!({
            "task_id": diff.worktree.task_id,
            "worktree": view,
            "stat": diff.stat,
            "patch": if stat_only { None } else { Some(&diff.patch) },
        }));
    }
    if let Some(view) = &view {
        for c in &view.collides {
            eprintln!(
                "bosun: task {} also changes {}: whichever merges second may conflict",
                c.task_id,
                c.files.join(", ")
            );
        }
    }
    print!("{}", diff.stat);
    if !stat_only && !diff.patch.is_empty() {
        println!();
        print!("{}", diff.patch);
    }
    Ok(())
}

pub async fn merge(project: &Project, task: &str, how: MergeStrategy, json: bool) -> CliResult {
    let store = open_store(project).await?;
    let result = async {
        let id = resolve(&store, task).await?;
        let landing = Landing::new(&store, &project.paths);
        // Told before the merge, not after: another task in flight changes the same files.
        if let Some(view) = read::view(&store.reader, &id).await? {
            for c in &view.collides {
                eprintln!(
                    "bosun: task {} also changes {}; after this merge it may conflict",
                    c.task_id,
                    c.files.join(", ")
                );
            }
        }
        let outcome = landing
            .merge_as_user(&id, how, "`bosun merge`", &project.settings.escalation)
            .await?;
        Ok::<_, CliError>((id, outcome))
    }
    .await;
    store.close().await;
    crate::engine::wake::nudge(&project.paths);
    let (id, outcome) = result?;
    if json {
        print_json(&outcome_json(&outcome))?;
    } else {
        println!("{}", describe(&id, &outcome)?);
    }
    match outcome {
        MergeOutcome::Merged { .. } => Ok(()),
        MergeOutcome::Conflict { .. } => Err(CliError::failed(
            "the merge conflicted: nothing was merged; the task waits for a decision in the inbox",
        )),
    }
}

fn outcome_json(outcome: &MergeOutcome) -> serde_json::Value {
    match outcome {
        MergeOutcome::Merged { into, commit } => {
            serde_json::json!({"status": "merged", "into": into, "commit": commit})
        }
        MergeOutcome::Conflict { files, escalation } => {
            serde_json::json!({"status": "conflict", "files": files, "escalation": escalation})
        }
    }
}

pub async fn discard(project: &Project, task: &str) -> CliResult {
    let store = open_store(project).await?;
    let result = async {
        let id = resolve(&store, task).await?;
        Landing::new(&store, &project.paths)
            .discard_as_user(&id, "`bosun discard`")
            .await?;
        Ok::<_, CliError>(id)
    }
    .await;
    store.close().await;
    crate::engine::wake::nudge(&project.paths);
    let id = result?;
    println!("{id} discarded: its worktree and branch are removed");
    Ok(())
}
