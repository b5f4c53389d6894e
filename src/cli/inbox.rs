//! `bosun inbox` and `bosun answer`: the open questions in batches, and answering them from
//! another terminal. An answer is committed (with its decision) before the engine is nudged;
//! the engine's waiting step picks it up from the store.

use std::io::Write;

use super::args::RememberScope;
use super::format::print_json;
use super::tasks::open_store;
use super::{CliError, CliResult, Project};
use crate::engine::answer::{self, AnswerError};
use crate::protocol::{AnswerRequest, RememberScope as Remember};
use crate::store::escalations::read;
use crate::time::parse_rfc3339;

/// Open questions, the current batch first.
pub async fn inbox(project: &Project, json: bool) -> CliResult {
    let store = open_store(project).await?;
    let open = read::open(&store.reader).await?;
    store.close().await;
    if json {
        return print_json(&open);
    }
    let mut out = std::io::stdout().lock();
    if open.is_empty() {
        let _ = writeln!(out, "the inbox is empty: nothing waits on you");
        return Ok(());
    }
    let mut batch = 0;
    for (i, q) in open.iter().enumerate() {
        if q.batch != batch {
            batch = q.batch;
            let n = open.iter().filter(|o| o.batch == batch).count();
            let current = if i == 0 { " (current)" } else { "" };
            let _ = writeln!(out, "batch {batch}{current}: {n} open");
        }
        let _ = writeln!(
            out,
            "  {}  [{}] {}{}  {}",
            q.id,
            q.risk,
            q.task_id,
            q.step_id
                .as_deref()
                .map(|s| format!("/{s}"))
                .unwrap_or_default(),
            q.question
        );
        // An agent's call in full: the command, or the file and its edit.
        for line in q.detail.as_deref().unwrap_or_default().lines() {
            let _ = writeln!(out, "      | {line}");
        }
        let _ = writeln!(
            out,
            "      options: {} (default {}, {})",
            q.options.join(", "),
            q.default,
            time_left(&q.deadline)
        );
        let _ = writeln!(out, "      why: {}", q.reason);
        if let Some(covers) = &q.covers {
            let _ = writeln!(
                out,
                "      --remember task|session also decides {covers} without asking"
            );
        }
        if !q.similar.is_empty() {
            let _ = writeln!(
                out,
                "      {} similar open: answer all with `bosun answer {} CHOICE --all`",
                q.similar.len(),
                q.id
            );
        }
    }
    Ok(())
}

fn time_left(deadline: &str) -> String {
    let Some(at) = parse_rfc3339(deadline) else {
        return format!("deadline {deadline}");
    };
    let left = at - time::OffsetDateTime::now_utc();
    match std::time::Duration::try_from(left) {
        Ok(d) if !d.is_zero() => format!(
            "{} left",
            humantime::format_duration(std::time::Duration::from_secs(d.as_secs()))
        ),
        _ => "deadline passed".into(),
    }
}

/// Answers escalation `given` with `choice` (and its group with `all`), remembering the
/// answer where asked.
pub async fn answer(
    project: &Project,
    given: &str,
    choice: &str,
    remember: Option<RememberScope>,
    all: bool,
) -> CliResult {
    let store = open_store(project).await?;
    let request = AnswerRequest {
        escalation: given.to_string(),
        choice: choice.to_string(),
        all,
        remember: remember.map(|r| match r {
            RememberScope::Task => Remember::Task,
            RememberScope::Session => Remember::Session,
            RememberScope::Rule => Remember::Rule,
        }),
        via: format!(
            "`bosun answer {given} {choice}{} --remember rule`",
            if all { " --all" } else { "" }
        ),
    };
    let result = answer::answer(&project.paths, &store, &request).await;
    // A question about a branch is acted on here: no step waits on it.
    let landed = match &result {
        Ok(_) => {
            crate::engine::landing::act_on_answers(&project.paths, &project.settings, &store).await
        }
        Err(_) => Ok(Vec::new()),
    };
    store.close().await;
    crate::engine::wake::nudge(&project.paths);
    let outcome = result.map_err(|e| match e {
        AnswerError::NotAnOption(m) => CliError::bad_input(m),
        AnswerError::Failed(m) => CliError::failed(m),
    })?;
    for done in landed? {
        eprintln!("bosun: {done}");
    }
    if let Some(e) = &outcome.audit_error {
        eprintln!("bosun: the answer is saved, but the audit log could not be written: {e}");
    }
    println!("{}", outcome.summary());
    Ok(())
}
