//! One attempt of an agent step (DESIGN.md §8): the agent's headless mode runs as the step's
//! process, and every tool call it wants to make is judged like a command — allowed and denied
//! at once, escalated to the inbox with only this agent waiting (it holds the request open).
//!
//! Durability: the session id is committed before the agent starts; a step that runs again
//! after a restart resumes that session, and the tool call it was waiting on asks the same
//! question again, so it finds the escalation still open (or answered) in the store.
//!
//! An attempt may take several sessions of one conversation: the adapter pauses when its API
//! gave up ([`super::agent_pause`]), the budgets ask before more is spent
//! ([`super::agent_budget`]), and a session the agent lost is started over. One session's
//! talk is [`super::agent_converse`].

use std::time::Duration;

use serde_json::Value;

use super::agent_budget::BudgetGate;
use super::agent_converse::Ending;
use super::agent_io::api_trouble;
use super::agent_io::{new_session_id, tool_question, tool_summary};
use super::ask::Question;
use super::checks::Gate;
use super::skill_step::Attempt;
use super::{Halt, Run};
use crate::agents::{Access, Finished, Launch, PermissionRequest, Reply, Session};
use crate::definitions::skills::Skill;
use crate::definitions::workflow::Step;
use crate::engine::process::ProcessSpec;
use crate::protocol::{AgentView, DecisionKind, EngineEvent, Risk, StepStatus};
use crate::store::{StepRow, StoreError, WriteOp};
use crate::time::now_rfc3339;

/// How long an agent has to write its session down once its engine died, or once asked to
/// stop its turn.
pub(super) const AGENT_GRACE: Duration = Duration::from_secs(3);

/// The first line of a resumed session: the agent was cut off, maybe mid tool call.
const RESUMED: &str = "Bosun was restarted while you worked on this task; a tool call you \
    were waiting on was not run unless its result is above. Go on with the task.";

/// The task an agent is given when a schema is asked for and its answer did not follow it.
const SCHEMA_NOTE: &str = "Your final answer must be JSON that follows the schema you were given.";

/// The first line of a session taken up after the adapter's pause.
const PAUSED: &str = "The model's API was unavailable for a while and your work was cut off; \
    go on with the task.";

/// The first line of a session taken up after the user let agents spend more.
const GRANTED: &str = "The spending limit was raised; go on with the task.";

/// How the next session of a step opens.
#[derive(Clone, Copy)]
enum Opening {
    /// A new session, given the step's prompt.
    Prompt,
    /// The session cut off by a restart of the engine.
    Restarted,
    AfterPause,
    AfterGrant,
}

/// Pauses in a row after which a step whose API still fails fails (with 60 s doubling up to 16×,
/// about 80 minutes): an API that never comes back is asked about like any failure.
const MAX_PAUSES: u32 = 8;

/// Whether an API status means the agent retried and gave up on a passing trouble (rate
/// limits, overload, server errors), as opposed to a request that can never succeed.
fn gave_up_retrying(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

impl Run<'_> {
    /// Runs the agent (resuming its session when the row has one) until it gives its result.
    /// One attempt may be several sessions of the same conversation: after the adapter's
    /// pause when its API gave up, after the user let it spend more, or a new one when the
    /// session to resume was lost.
    pub(super) async fn agent_attempt(
        &self,
        step: &Step,
        skill: &Skill,
        row: &mut StepRow,
        cv: &minijinja::Value,
    ) -> Result<Attempt, StoreError> {
        let (spec, prompt, schema) = match self.prepare_agent(step, skill, cv) {
            Ok(p) => p,
            Err(e) => {
                self.close_step(row, StepStatus::Failed, Some(e)).await?;
                return Ok(Attempt::Ended(None));
            }
        };
        let adapter = skill.adapter.clone().unwrap_or_default();
        let Some(agent) = self.ctx.settings.current().agents.get(&adapter).cloned() else {
            let e = format!("no settings for adapter `{adapter}`");
            self.close_step(row, StepStatus::Failed, Some(e)).await?;
            return Ok(Attempt::Ended(None));
        };
        let view = row.agent.get_or_insert_with(|| AgentView {
            adapter: adapter.clone(),
            model: agent.model.clone(),
            ..AgentView::default()
        });
        let mut next = match (&view.session_id, &view.paused) {
            (Some(_), Some(_)) => Opening::AfterPause,
            (Some(_), None) if row.attempts > 0 => Opening::Restarted,
            _ => Opening::Prompt,
        };
        let mut first = true;
        let mut pauses = 0;
        loop {
            if let Some(halt) = self.sit_out_pause(&adapter).await {
                return self.halted(row, halt).await;
            }
            let max_budget_usd = match self.budget_gate(row).await? {
                BudgetGate::Go(left) => left,
                BudgetGate::Stop(reason) => {
                    // The user's answer: not a failure to retry, which would only ask again.
                    self.close_step(row, StepStatus::Failed, Some(reason))
                        .await?;
                    return Ok(Attempt::Ended(None));
                }
                BudgetGate::Halted(halt) => return self.halted(row, halt).await,
            };
            let permit = tokio::select! {
                permit = self.ctx.skill_slots.acquire() => permit,
                () = self.stop.cancelled() => None,
            };
            let Some(_permit) = permit else {
                let halt = self.halt().unwrap_or(Halt::Cancelled);
                return self.halted(row, halt).await;
            };
            let view = row.agent.get_or_insert_with(AgentView::default);
            let (session, opening) = match (next, view.session_id.clone()) {
                (Opening::Restarted, Some(id)) => (Session::Resume(id), RESUMED.to_string()),
                (Opening::AfterPause, Some(id)) => (Session::Resume(id), PAUSED.to_string()),
                (Opening::AfterGrant, Some(id)) => (Session::Resume(id), GRANTED.to_string()),
                // A new session's id is committed with the step's start, before it runs.
                _ => {
                    let id = new_session_id();
                    view.session_id = Some(id.clone());
                    view.session_cost_usd = 0.0;
                    (Session::New(id), prompt.clone())
                }
            };
            let resumed = matches!(session, Session::Resume(_));
            view.paused = None;
            self.start_session(row, std::mem::take(&mut first)).await?;
            let launch = Launch {
                command: agent.command.clone(),
                args: agent.args.clone(),
                model: agent.model.clone(),
                session,
                max_turns: skill.max_turns,
                schema: schema.clone(),
                max_budget_usd,
                cwd: spec.cwd.display().to_string(),
            };
            let Some(mut talk) = crate::agents::conversation(&adapter, launch) else {
                let e = format!("this build of Bosun does not speak adapter `{adapter}`");
                self.close_step(row, StepStatus::Failed, Some(e)).await?;
                return Ok(Attempt::Ended(None));
            };
            let mut spec = spec.clone();
            spec.argv = talk.argv();
            match super::agent_home::agent_env(&self.ctx.paths, &adapter, &agent, &spec) {
                Ok(env) => spec.env.extend(env),
                Err(e) => return Ok(Attempt::Failed(e)),
            }
            spec.protocol = Some(AGENT_GRACE);
            let end = match self
                .converse(step, skill, row, spec, talk.as_mut(), &opening)
                .await?
            {
                Ending::Halted(halt, end) => {
                    // What a stopped session spent still counts, for the budgets and stats.
                    if let Some(end) = end {
                        self.account(row, &end);
                    }
                    return self.halted(row, halt).await;
                }
                Ending::Vanished(error) => {
                    self.forget_session(row);
                    return Ok(Attempt::Failed(error));
                }
                Ending::Finished(end) => end,
            };
            self.account(row, &end);
            // What it spent is committed before the budgets are looked at again.
            self.save(row, vec![]).await?;
            if end.session_lost && resumed {
                self.forget_session(row);
                self.note(
                    row,
                    "warn",
                    "the agent's session was lost; starting it over",
                )
                .await;
                next = Opening::Prompt;
                continue;
            }
            if !end.ok && end.error_status.is_some_and(gave_up_retrying) && pauses < MAX_PAUSES {
                pauses += 1;
                let wait = self.ctx.agent_pauses.pause(&adapter, agent.pause.0);
                let why = format!(
                    "the agent's API is {} and its retries ran out; agent steps of `{adapter}` \
                     pause for {}",
                    api_trouble(end.error_status),
                    humantime::format_duration(wait)
                );
                if let Some(view) = row.agent.as_mut() {
                    view.paused = Some(why.clone());
                }
                self.save(row, vec![]).await?;
                self.note(row, "warn", &why).await;
                next = Opening::AfterPause;
                continue;
            }
            if !end.ok && end.stop_reason.as_deref() == Some("budget_exhausted") {
                // The gate asks before the session goes on.
                next = Opening::AfterGrant;
                continue;
            }
            if end.ok {
                self.ctx.agent_pauses.clear(&adapter);
            }
            let attempt = self.agent_result(row, end, schema.is_some()).await?;
            if let Attempt::Failed(_) = attempt {
                // A retry starts a new conversation rather than take up a failed one.
                self.forget_session(row);
            }
            return Ok(attempt);
        }
    }

    /// Commits the step as running before its agent starts: its session id with it. The
    /// first session of an attempt counts as an attempt; the sessions that go on from it
    /// (after a pause, a grant, a lost session) do not.
    async fn start_session(&self, row: &mut StepRow, first: bool) -> Result<(), StoreError> {
        row.status = StepStatus::Running;
        if first {
            row.attempts += 1;
        }
        row.started_at.get_or_insert_with(now_rfc3339);
        row.finished_at = None;
        row.exit_code = None;
        let started = EngineEvent::StepStarted {
            task_id: self.task.id.clone(),
            step_id: row.id.clone(),
            attempt: row.attempts,
        };
        self.ctx
            .write(vec![
                WriteOp::UpsertStep(row.clone()),
                WriteOp::Event(started),
            ])
            .await
    }

    /// Waits while the adapter is paused; `Some` when the step was stopped meanwhile.
    async fn sit_out_pause(&self, adapter: &str) -> Option<Halt> {
        while let Some(until) = self.ctx.agent_pauses.until(adapter) {
            tokio::select! {
                () = tokio::time::sleep_until(until) => {}
                () = self.stop.cancelled() => return Some(self.halt().unwrap_or(Halt::Cancelled)),
            }
        }
        None
    }

    async fn halted(&self, row: &mut StepRow, halt: Halt) -> Result<Attempt, StoreError> {
        let (r, halt) = self.halt_step(row.clone(), halt).await?;
        *row = r;
        Ok(Attempt::Ended(halt))
    }

    fn forget_session(&self, row: &mut StepRow) {
        if let Some(view) = row.agent.as_mut() {
            view.session_id = None;
        }
    }

    /// Adds what a session spent and did to the step's totals.
    fn account(&self, row: &mut StepRow, end: &Finished) {
        let Some(view) = row.agent.as_mut() else {
            return;
        };
        view.turns += end.turns;
        if let Some(total) = end.cost_usd {
            view.cost_usd += (total - view.session_cost_usd).max(0.0);
            view.session_cost_usd = total;
        }
        view.input_tokens += end.input_tokens;
        view.output_tokens += end.output_tokens;
        view.denied = view.denied.max(end.denied);
        view.tool = None;
        if let Some(id) = &end.session_id
            && !id.is_empty()
            && !end.session_lost
        {
            view.session_id = Some(id.clone());
        }
    }

    /// The rendered step: its process settings, the prompt, and the schema when one is given.
    fn prepare_agent(
        &self,
        step: &Step,
        skill: &Skill,
        cv: &minijinja::Value,
    ) -> Result<(ProcessSpec, String, Option<Value>), String> {
        let spec = self.render(step, skill, cv)?;
        let inputs = self.skill_inputs(step, skill, cv)?;
        let scope = self.skill_scope(&inputs);
        let prompt = self
            .ctx
            .templates
            .render(skill.prompt.as_deref().unwrap_or_default(), &scope)
            .map_err(|e| format!("prompt: {e}"))?;
        let schema = match inputs.get("schema") {
            Some(Value::String(text)) if !text.trim().is_empty() => Some(
                serde_json::from_str(text)
                    .map_err(|e| format!("input `schema` is not JSON: {e}"))?,
            ),
            Some(Value::Object(schema)) => Some(Value::Object(schema.clone())),
            _ => None,
        };
        Ok((spec, prompt, schema))
    }

    /// What the session's result means for the step.
    async fn agent_result(
        &self,
        row: &mut StepRow,
        end: Finished,
        wants_json: bool,
    ) -> Result<Attempt, StoreError> {
        let stop = end.stop_reason.clone().unwrap_or_default();
        if !end.ok {
            let error = match (end.error_status, stop.as_str()) {
                (Some(status), _) if gave_up_retrying(status) => format!(
                    "the agent's API is {} and its retries ran out",
                    api_trouble(Some(status))
                ),
                (Some(status), _) => format!(
                    "the agent's API refused its request ({status}){}",
                    if end.result.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", end.result)
                    }
                ),
                (None, "max_turns") | (None, "error_max_turns") => {
                    "the agent reached its `max_turns` before finishing".to_string()
                }
                _ if end.result.is_empty() => format!("the agent stopped: {stop}"),
                _ => format!("the agent stopped ({stop}): {}", end.result),
            };
            row.output = Some(end.result);
            return Ok(Attempt::Failed(error));
        }
        let output = match (&end.structured, wants_json) {
            (Some(structured), _) => structured.to_string(),
            (None, true) if serde_json::from_str::<Value>(&end.result).is_err() => {
                row.output = Some(end.result);
                return Ok(Attempt::Failed(format!(
                    "the agent's answer is not the JSON its schema asks for. {SCHEMA_NOTE}"
                )));
            }
            _ => end.result,
        };
        row.output = Some(output);
        row.exit_code = Some(0);
        row.error = None;
        self.close_step(row, StepStatus::Succeeded, None).await?;
        Ok(Attempt::Ended(None))
    }

    /// The policy's answer to one tool call; `Err` when the step was stopped while asking.
    pub(super) async fn decide_tool(
        &self,
        step: &Step,
        skill: &Skill,
        row: &mut StepRow,
        spec: &ProcessSpec,
        request: &PermissionRequest,
    ) -> Result<Result<Reply, Halt>, StoreError> {
        if let Some(view) = row.agent.as_mut() {
            view.tool = Some(tool_summary(&request.tool, &request.input));
        }
        let (argv, question) = match crate::agents::access(&request.tool, &request.input) {
            Access::Inert => return Ok(Ok(Reply::Allow)),
            Access::Command(argv) => {
                let question = tool_question(&request.tool, &request.input, &argv);
                let detail = super::agent_io::tool_detail(&request.tool, &request.input);
                (argv, (question, Some(detail)))
            }
            Access::Ask(why) => {
                if let Some(reply) = self.judge_tool(step, skill, row, request).await? {
                    return Ok(Ok(reply));
                }
                return self.escalate_tool(skill, row, request, why).await;
            }
        };
        // Paths are read from where the call runs, not where the agent started: after `cd
        // .bosun`, `rm -rf state` deletes `.bosun/state`.
        let mut spec = spec.clone();
        if let Some(cwd) = &request.cwd {
            spec.cwd = spec.cwd.join(cwd);
        }
        let gate = self.judge(step, skill, &spec, &argv, question, row).await?;
        Ok(match gate {
            Gate::Run(consumed) => {
                if let Some(op) = consumed {
                    self.ctx.write(vec![*op]).await?;
                }
                Ok(Reply::Allow)
            }
            Gate::Denied(reason) => Ok(Reply::Deny(format!("Bosun's policy: {reason}"))),
            Gate::Halted(halt) => Err(halt),
        })
    }
}

impl Run<'_> {
    /// Asks the user about a tool call the policy cannot read (a web search, an MCP tool).
    async fn escalate_tool(
        &self,
        skill: &Skill,
        row: &mut StepRow,
        request: &PermissionRequest,
        why: String,
    ) -> Result<Result<Reply, Halt>, StoreError> {
        let shown = tool_summary(&request.tool, &request.input);
        let q = Question {
            kind: DecisionKind::Command,
            question: format!("Let the agent use `{shown}`?"),
            options: vec!["allow".into(), "deny".into()],
            default: "deny".into(),
            risk: if skill.risk.needs_user() {
                skill.risk
            } else {
                Risk::High
            },
            reason: why,
            skill: Some(skill.name.clone()),
            shape: format!("agent-tool:{}:{}", skill.name, request.tool),
            proposal: None,
            timeout: self.ctx.settings.current().escalation.timeout,
            detail: Some(super::agent_io::tool_detail(&request.tool, &request.input)),
        };
        Ok(match self.ask(row, q).await? {
            Err(halt) => Err(halt),
            Ok(answer) => {
                self.consume(&answer).await?;
                if answer.choice == "allow" {
                    Ok(Reply::Allow)
                } else if answer.decided_by == "timeout" {
                    Ok(Reply::Deny(
                        "Bosun: no answer before the deadline; the default is to deny".into(),
                    ))
                } else {
                    Ok(Reply::Deny("Bosun: the user said no".into()))
                }
            }
        })
    }
}
