//! `bosun inbox` and `bosun answer`: the open questions in batches, and answering them from
//! another terminal. An answer is committed (with its decision) before the engine is nudged;
//! the engine's waiting step picks it up from the store.

use std::io::Write;

use super::args::RememberScope;
use super::format::print_json;
use super::remember::propose_rule;
use super::tasks::open_store;
use super::{CliError, CliResult, Project};
use crate::protocol::{EngineEvent, EscalationView, new_decision_id};
use crate::store::audit::AuditLog;
use crate::store::escalations::{EscalationOp, EscalationRecord, SESSION_KEY, Scope, read};
use crate::store::{Store, StoreError, WriteOp};
use crate::time::{now_rfc3339, parse_rfc3339};

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
        let _ = writeln!(
            out,
            "      options: {} (default {}, {})",
            q.options.join(", "),
            q.default,
            time_left(&q.deadline)
        );
        let _ = writeln!(out, "      why: {}", q.reason);
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

/// The option `given` names: exactly, or by a unique prefix (case-insensitive).
fn pick(options: &[String], given: &str) -> Result<String, CliError> {
    if let Some(exact) = options.iter().find(|o| *o == given) {
        return Ok(exact.clone());
    }
    let lower = given.to_lowercase();
    let found: Vec<&String> = options
        .iter()
        .filter(|o| o.to_lowercase().starts_with(&lower))
        .collect();
    match found.as_slice() {
        [one] if !given.is_empty() => Ok((*one).clone()),
        _ => Err(CliError::bad_input(format!(
            "`{given}` is not one of the options: {}",
            options.join(", ")
        ))),
    }
}

fn closed_message(record: &EscalationRecord) -> String {
    let id = &record.question.id;
    match record.decided_by.as_deref() {
        Some("withdrawn") => format!("escalation {id} is no longer open: its task or step ended"),
        Some(by) => format!(
            "escalation {id} was already answered: `{}` by {by} at {}",
            record.choice.as_deref().unwrap_or("?"),
            record.answered_at.as_deref().unwrap_or("?")
        ),
        None => format!("escalation {id} is closed"),
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
    let result = answer_in(project, &store, given, choice, remember, all).await;
    store.close().await;
    crate::engine::wake::nudge(&project.paths);
    result
}

async fn answer_in(
    project: &Project,
    store: &Store,
    given: &str,
    choice: &str,
    remember: Option<RememberScope>,
    all: bool,
) -> CliResult {
    let id = read::resolve_id(&store.reader, given)
        .await?
        .map_err(CliError::failed)?;
    let record = read::get(&store.reader, &id)
        .await?
        .ok_or_else(|| CliError::failed(format!("no escalation `{given}`")))?;
    if !record.is_open() {
        return Err(CliError::failed(closed_message(&record)));
    }
    let q = &record.question;
    let choice = pick(&q.options, choice)?;
    // A rule is checked before anything is answered, so a rule that cannot be written leaves
    // the question open rather than half-done.
    let rule = match remember {
        Some(RememberScope::Rule) => Some(propose_rule(project, &record, &choice)?),
        _ => None,
    };
    let mut targets: Vec<EscalationView> = Vec::new();
    if all {
        let open = read::open(&store.reader).await?;
        if let Some(me) = open.iter().find(|o| o.id == id) {
            targets.extend(
                open.iter()
                    .filter(|o| o.group == me.group && o.id != id && o.options.contains(&choice))
                    .cloned(),
            );
        }
    }
    let session = read::meta(&store.reader, SESSION_KEY).await?;
    let scope = match remember {
        Some(RememberScope::Task) => Some(Scope::Task),
        Some(RememberScope::Session) => Some(Scope::Session),
        _ => None,
    };
    let mut ops = close_ops(
        &record.question.id,
        &record.question.task_id,
        &choice,
        "answered by the user",
    );
    // With no engine session on record a session answer could never apply: nothing is stored.
    if let Some(scope) = scope
        && (scope == Scope::Task || session.is_some())
    {
        ops.push(WriteOp::Escalation(EscalationOp::Remember {
            id: new_decision_id(),
            scope,
            task_id: Some(q.task_id.clone()),
            session: session.clone(),
            kind: q.kind,
            shape: q.shape.clone(),
            choice: choice.clone(),
            escalation_id: id.clone(),
            at: now_rfc3339(),
        }));
    }
    match store.writer.write(ops).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            let now = read::get(&store.reader, &id).await?;
            return Err(CliError::failed(
                now.map(|r| closed_message(&r))
                    .unwrap_or_else(|| format!("escalation {id} is closed")),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let mut audit = vec![audit_entry(
        &q.id,
        &q.task_id,
        q.step_id.as_deref(),
        &q.question,
        &choice,
        "answered by the user",
    )];
    let mut also = 0;
    for other in &targets {
        let reason = format!("answered by the user for the group of {id}");
        match store
            .writer
            .write(close_ops(&other.id, &other.task_id, &choice, &reason))
            .await
        {
            Ok(()) => {
                also += 1;
                audit.push(audit_entry(
                    &other.id,
                    &other.task_id,
                    other.step_id.as_deref(),
                    &other.question,
                    &choice,
                    &reason,
                ));
            }
            // Answered or timed out meanwhile: it has its answer.
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // The answers are committed; an audit log that cannot be written is reported, not fatal.
    if let Err(e) = AuditLog::new(project.paths.audit_log()).append(&audit) {
        eprintln!("bosun: the answer is saved, but the audit log could not be written: {e}");
    }
    let mut line = format!("answered {id}: {choice}");
    if also > 0 {
        line.push_str(&format!(" (and {also} similar question(s))"));
    }
    match (scope, &session) {
        (Some(Scope::Task), _) => line.push_str(&format!("; remembered for task {}", q.task_id)),
        (Some(Scope::Session), Some(_)) => line.push_str("; remembered until the engine stops"),
        (Some(Scope::Session), None) => line
            .push_str("; no engine session is known, so nothing was remembered beyond this answer"),
        _ => {}
    }
    if let Some(rule) = rule {
        rule.write().map_err(CliError::failed)?;
        line.push_str(&format!(
            "; rule `{}` written to {}",
            rule.id,
            rule.file.display()
        ));
    }
    println!("{line}");
    Ok(())
}

fn audit_entry(
    id: &crate::protocol::EscalationId,
    task: &crate::protocol::TaskId,
    step: Option<&str>,
    question: &str,
    choice: &str,
    reason: &str,
) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::json!({
        "kind": "decision",
        "task_id": task,
        "step_id": step,
        "question": question,
        "choice": choice,
        "decided_by": "user",
        "reason": reason,
        "escalation_id": id,
    }) {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn close_ops(
    id: &crate::protocol::EscalationId,
    task: &crate::protocol::TaskId,
    choice: &str,
    reason: &str,
) -> Vec<WriteOp> {
    vec![
        WriteOp::Escalation(EscalationOp::Close {
            id: id.clone(),
            choice: choice.to_string(),
            decided_by: "user".into(),
            reason: reason.to_string(),
            decision_id: new_decision_id(),
            at: now_rfc3339(),
        }),
        WriteOp::Event(EngineEvent::EscalationClosed {
            task_id: task.clone(),
            escalation_id: id.clone(),
            choice: Some(choice.to_string()),
            decided_by: "user".into(),
        }),
    ]
}
