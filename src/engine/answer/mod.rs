//! Answering an open question, for every front end (`bosun answer`, the TUI's inbox): the
//! answer and its decision are committed before anything is announced; the waiting step picks
//! it up from the store. A rule to remember is checked before anything is answered, so a rule
//! that cannot be written leaves the question open rather than half-done.

mod rule;

use thiserror::Error;

pub use rule::{ProposedRule, propose_rule};

use crate::config::ProjectPaths;
use crate::protocol::{
    AnswerRequest, EngineEvent, EscalationId, EscalationView, RememberScope, TaskId,
    new_decision_id,
};
use crate::store::audit::AuditLog;
use crate::store::escalations::{EscalationOp, EscalationRecord, SESSION_KEY, Scope, read};
use crate::store::{Store, StoreError, WriteOp};
use crate::time::now_rfc3339;

/// Why an answer was not taken.
#[derive(Debug, Error)]
pub enum AnswerError {
    /// The choice is not one of the options (bad input).
    #[error("{0}")]
    NotAnOption(String),
    /// The question is unknown or closed, or the answer could not be stored.
    #[error("{0}")]
    Failed(String),
}

impl From<StoreError> for AnswerError {
    fn from(e: StoreError) -> AnswerError {
        AnswerError::Failed(e.to_string())
    }
}

/// What an answer did.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerOutcome {
    pub id: EscalationId,
    pub task_id: TaskId,
    pub choice: String,
    /// Grouped questions answered along with it.
    pub also: usize,
    pub remembered: Option<RememberScope>,
    /// False when a session answer was asked for but no engine session is known.
    pub session_known: bool,
    /// What a remembered answer decides too (`` `node -e …` ``), in words.
    pub covers: Option<String>,
    /// The rule written, and where.
    pub rule: Option<(String, std::path::PathBuf)>,
    /// The answer is saved but the audit log could not be written.
    pub audit_error: Option<String>,
}

impl AnswerOutcome {
    /// One line for a person: `answered e-…: allow (and 2 similar questions); …`.
    pub fn summary(&self) -> String {
        let mut line = format!("answered {}: {}", self.id, self.choice);
        if self.also > 0 {
            let similar = crate::text::count(self.also as i64, "similar question");
            line.push_str(&format!(" (and {similar})"));
        }
        let covers = self
            .covers
            .as_ref()
            .map(|c| format!(" for {c}"))
            .unwrap_or_default();
        match self.remembered {
            Some(RememberScope::Task) => {
                line.push_str(&format!("; remembered{covers} in task {}", self.task_id))
            }
            Some(RememberScope::Session) if self.session_known => {
                line.push_str(&format!("; remembered{covers} until the engine stops"))
            }
            Some(RememberScope::Session) => line.push_str(
                "; no engine session is known, so nothing was remembered beyond this answer",
            ),
            _ => {}
        }
        if let Some((id, file)) = &self.rule {
            line.push_str(&format!("; rule `{id}` written to {}", file.display()));
        }
        line
    }
}

/// Answers the question `request.escalation` names (an id or a unique prefix).
pub async fn answer(
    paths: &ProjectPaths,
    store: &Store,
    request: &AnswerRequest,
) -> Result<AnswerOutcome, AnswerError> {
    let given = request.escalation.as_str();
    let id = read::resolve_id(&store.reader, given)
        .await?
        .map_err(AnswerError::Failed)?;
    let record = read::get(&store.reader, &id)
        .await?
        .ok_or_else(|| AnswerError::Failed(format!("no escalation `{given}`")))?;
    if !record.is_open() {
        return Err(AnswerError::Failed(closed_message(&record)));
    }
    let q = &record.question;
    let choice = pick(&q.options, &request.choice)?;
    let rule = match request.remember {
        Some(RememberScope::Rule) => Some(propose_rule(paths, &record, &choice, &request.via)?),
        _ => None,
    };
    let targets = if request.all {
        group_of(store, &id, &choice).await?
    } else {
        Vec::new()
    };
    let session = read::meta(&store.reader, SESSION_KEY).await?;
    let scope = match request.remember {
        Some(RememberScope::Task) => Some(Scope::Task),
        Some(RememberScope::Session) => Some(Scope::Session),
        _ => None,
    };
    let mut ops = close_ops(&q.id, &q.task_id, &choice, "answered by the user");
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
            return Err(AnswerError::Failed(
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
    let audit_error = AuditLog::new(paths.audit_log())
        .append(&audit)
        .err()
        .map(|e| e.to_string());
    let rule = match rule {
        Some(rule) => {
            rule.write().map_err(AnswerError::Failed)?;
            Some((rule.id.clone(), rule.file.clone()))
        }
        None => None,
    };
    Ok(AnswerOutcome {
        id: id.clone(),
        task_id: q.task_id.clone(),
        choice,
        also,
        remembered: request.remember,
        session_known: session.is_some(),
        covers: crate::policy::key::covers(&q.shape),
        rule,
        audit_error,
    })
}

/// The other open questions of `id`'s group that offer `choice`.
async fn group_of(
    store: &Store,
    id: &EscalationId,
    choice: &str,
) -> Result<Vec<EscalationView>, AnswerError> {
    let open = read::open(&store.reader).await?;
    let Some(me) = open.iter().find(|o| &o.id == id) else {
        return Ok(Vec::new());
    };
    Ok(open
        .iter()
        .filter(|o| o.group == me.group && &o.id != id && o.options.iter().any(|x| x == choice))
        .cloned()
        .collect())
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

/// The option `given` names: exactly, or by a unique prefix (case-insensitive).
pub fn pick(options: &[String], given: &str) -> Result<String, AnswerError> {
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
        _ => Err(AnswerError::NotAnOption(format!(
            "`{given}` is not one of the options: {}",
            options.join(", ")
        ))),
    }
}

fn audit_entry(
    id: &EscalationId,
    task: &TaskId,
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

fn close_ops(id: &EscalationId, task: &TaskId, choice: &str, reason: &str) -> Vec<WriteOp> {
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
