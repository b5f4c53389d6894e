//! One attempt of an agent step (DESIGN.md §8): the agent's headless mode runs as the step's
//! process, and every tool call it wants to make is judged like a command — allowed and denied
//! at once, escalated to the inbox with only this agent waiting (it holds the request open).
//!
//! Durability: the session id is committed before the agent starts; a step that runs again
//! after a restart resumes that session, and the tool call it was waiting on asks the same
//! question again, so it finds the escalation still open (or answered) in the store.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

use super::agent_io::{
    Transcript, new_session_id, one_line, tool_question, tool_summary, write_lines,
};
use super::ask::Question;
use super::checks::Gate;
use super::skill_step::Attempt;
use super::{Halt, Run};
use crate::agents::{
    Access, AgentEvent, Conversation, Finished, Launch, PermissionRequest, Reply, Session,
};
use crate::definitions::skills::Skill;
use crate::definitions::workflow::Step;
use crate::engine::process::{self, ProcessSpec};
use crate::protocol::{AgentView, DecisionKind, EngineEvent, Risk, StepStatus};
use crate::store::{StepRow, StoreError, WriteOp};
use crate::time::now_rfc3339;

/// How long an agent has to write its session down once its engine died, or once asked to
/// stop its turn.
const AGENT_GRACE: Duration = Duration::from_secs(3);

/// The first line of a resumed session: the agent was cut off, maybe mid tool call.
const RESUMED: &str = "Bosun was restarted while you worked on this task; a tool call you \
    were waiting on was not run unless its result is above. Go on with the task.";

/// The task an agent is given when a schema is asked for and its answer did not follow it.
const SCHEMA_NOTE: &str = "Your final answer must be JSON that follows the schema you were given.";

/// How an agent process ended, as the step sees it.
enum Ending {
    Finished(Finished),
    /// It ended without a result line.
    Vanished(String),
    Halted(Halt),
}

impl Run<'_> {
    /// Runs the agent once (resuming its session when the row has one) and reads the result.
    pub(super) async fn agent_attempt(
        &self,
        step: &Step,
        skill: &Skill,
        row: &mut StepRow,
        cv: &minijinja::Value,
    ) -> Result<Attempt, StoreError> {
        let prepared = self.prepare_agent(step, skill, cv);
        let (spec, prompt, schema) = match prepared {
            Ok(p) => p,
            Err(e) => {
                self.close_step(row, StepStatus::Failed, Some(e)).await?;
                return Ok(Attempt::Ended(None));
            }
        };
        let adapter = skill.adapter.clone().unwrap_or_default();
        let settings = self.ctx.settings.current();
        let Some(agent) = settings.agents.get(&adapter).cloned() else {
            let e = format!("no settings for adapter `{adapter}`");
            self.close_step(row, StepStatus::Failed, Some(e)).await?;
            return Ok(Attempt::Ended(None));
        };
        let permit = tokio::select! {
            permit = self.ctx.skill_slots.acquire() => permit,
            () = self.stop.cancelled() => None,
        };
        let Some(_permit) = permit else {
            let halt = self.halt().unwrap_or(Halt::Cancelled);
            let (r, halt) = self.halt_step(row.clone(), halt).await?;
            *row = r;
            return Ok(Attempt::Ended(halt));
        };
        let mut view = row.agent.clone().unwrap_or_else(|| AgentView {
            adapter: adapter.clone(),
            model: agent.model.clone(),
            ..AgentView::default()
        });
        // A session that was cut off is taken up again; otherwise a new one, whose id is
        // committed with the step's start, before the agent runs.
        let (session, opening) = match view.session_id.clone() {
            Some(id) if row.attempts > 0 && view.paused.is_none() => {
                (Session::Resume(id), RESUMED.to_string())
            }
            Some(id) if view.paused.is_some() => (Session::Resume(id), prompt.clone()),
            _ => {
                let id = new_session_id();
                view.session_id = Some(id.clone());
                (Session::New(id), prompt.clone())
            }
        };
        view.paused = None;
        row.agent = Some(view);
        row.status = StepStatus::Running;
        row.attempts += 1;
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
            .await?;
        let launch = Launch {
            command: agent.command.clone(),
            args: agent.args.clone(),
            model: agent.model.clone(),
            session,
            max_turns: skill.max_turns,
            schema: schema.clone(),
            cwd: spec.cwd.display().to_string(),
        };
        let Some(mut talk) = crate::agents::conversation(&adapter, launch) else {
            let e = format!("this build of Bosun does not speak adapter `{adapter}`");
            self.close_step(row, StepStatus::Failed, Some(e)).await?;
            return Ok(Attempt::Ended(None));
        };
        let mut spec = spec;
        spec.argv = talk.argv();
        spec.env.extend(agent.env.clone());
        spec.protocol = Some(AGENT_GRACE);
        let ending = self
            .converse(step, skill, row, spec, talk.as_mut(), &opening)
            .await?;
        Ok(match ending {
            Ending::Halted(halt) => {
                let (r, halt) = self.halt_step(row.clone(), halt).await?;
                *row = r;
                Attempt::Ended(halt)
            }
            Ending::Vanished(error) => Attempt::Failed(error),
            Ending::Finished(end) => self.agent_result(row, end, schema.is_some()).await?,
        })
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
        if let Some(view) = row.agent.as_mut() {
            view.turns += end.turns;
            view.cost_usd += end.cost_usd.unwrap_or(0.0);
            view.input_tokens += end.input_tokens;
            view.output_tokens += end.output_tokens;
            view.denied = view.denied.max(end.denied);
            view.tool = None;
            if let Some(id) = &end.session_id
                && !id.is_empty()
            {
                view.session_id = Some(id.clone());
            }
        }
        let stop = end.stop_reason.clone().unwrap_or_default();
        if !end.ok {
            let error = match (end.error_status, stop.as_str()) {
                (Some(status), _) => format!(
                    "the agent's API kept failing ({status}{}) and its retries ran out",
                    if status == 529 {
                        ", overloaded"
                    } else if status == 429 {
                        ", rate limited"
                    } else {
                        ""
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

    /// Starts the agent, talks with it until it ends, and answers its permission requests.
    async fn converse(
        &self,
        step: &Step,
        skill: &Skill,
        row: &mut StepRow,
        spec: ProcessSpec,
        talk: &mut dyn Conversation,
        opening: &str,
    ) -> Result<Ending, StoreError> {
        let program = spec.argv.first().cloned().unwrap_or_default();
        self.audit_start(row, &spec);
        let decide_spec = spec.clone();
        let mut running = match process::spawn(spec) {
            Ok(running) => running,
            Err(e) => {
                return Ok(Ending::Vanished(format!(
                    "cannot start the agent `{program}`: {e} (set `agents.{}.command` in the settings)",
                    row.agent
                        .as_ref()
                        .map(|a| a.adapter.as_str())
                        .unwrap_or("…")
                )));
            }
        };
        let kill = CancellationToken::new();
        let recorded = self.record_process(row, &running).await;
        let Some((stdin, stdout)) = running.take_pipes() else {
            kill.cancel();
            let _ = running.wait(&kill).await;
            return Ok(Ending::Vanished(
                "the agent's pipes could not be opened".into(),
            ));
        };
        if let Err(e) = recorded {
            kill.cancel();
            let _ = running.wait(&kill).await;
            return Err(e);
        }
        let probe = running.output_probe();
        let wait = running.wait(&kill);
        tokio::pin!(wait);
        let mut stdin = Some(stdin);
        let mut lines = BufReader::new(stdout).lines();
        write_lines(&mut stdin, talk.opening(opening)).await;
        let mut transcript = Transcript::open(self, row);
        let mut decided: HashMap<String, Reply> = HashMap::new();
        let mut finished = None;
        let mut interrupted = false;
        let mut ended = None;
        loop {
            tokio::select! {
                biased;
                line = lines.next_line() => {
                    let Ok(Some(line)) = line else {
                        // Its stdout closed: it is ending; the wait below says how.
                        break;
                    };
                    transcript.raw(&line);
                    let heard = talk.read(&line);
                    write_lines(&mut stdin, heard.replies).await;
                    for event in heard.events {
                        match event {
                            AgentEvent::PermissionAsked(request) => {
                                let reply = match decided.get(&request.call_id) {
                                    Some(reply) => Ok(reply.clone()),
                                    None => self.decide_tool(step, skill, row, &decide_spec, &request).await?,
                                };
                                match reply {
                                    Ok(reply) => {
                                        if let Reply::Deny(_) = reply
                                            && let Some(view) = row.agent.as_mut()
                                        {
                                            view.denied += 1;
                                        }
                                        if !request.call_id.is_empty() {
                                            decided.insert(request.call_id.clone(), reply.clone());
                                        }
                                        write_lines(&mut stdin, talk.answer(&request, &reply)).await;
                                    }
                                    Err(_) => {
                                        // Stopped while asking: ask the agent to stop its turn.
                                        write_lines(&mut stdin, talk.interrupt()).await;
                                        interrupted = true;
                                        break;
                                    }
                                }
                            }
                            AgentEvent::Finished(end) => {
                                finished = Some(end);
                                // The session is over: closing stdin lets the agent exit.
                                stdin = None;
                            }
                            other => self.note_event(row, other).await,
                        }
                    }
                }
                outcome = &mut wait => {
                    ended = Some(outcome);
                    break;
                }
                () = self.stop.cancelled(), if !interrupted => {
                    write_lines(&mut stdin, talk.interrupt()).await;
                    interrupted = true;
                    break;
                }
            }
        }
        if interrupted {
            // Give it a moment to stop its turn and write its session down, then end its group.
            let _ = tokio::time::timeout(AGENT_GRACE, async {
                while let Ok(Some(line)) = lines.next_line().await {
                    transcript.raw(&line);
                }
            })
            .await;
            kill.cancel();
        }
        drop(stdin);
        // What it printed before it ended is still in the pipe: its result line may be there.
        if finished.is_none() && !interrupted {
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while let Ok(Some(line)) = lines.next_line().await {
                    transcript.raw(&line);
                    for event in talk.read(&line).events {
                        if let AgentEvent::Finished(end) = event {
                            finished = Some(end);
                        }
                    }
                }
            })
            .await;
        }
        let outcome = match ended {
            Some(outcome) => outcome,
            None => wait.await,
        };
        transcript.close();
        let (stderr, _) = probe.stderr();
        row.stderr = Some(stderr.clone());
        if interrupted || self.stop.is_cancelled() {
            return Ok(Ending::Halted(self.halt().unwrap_or(Halt::Cancelled)));
        }
        Ok(match finished {
            Some(end) => Ending::Finished(end),
            None => {
                let how = match outcome {
                    Ok(o) => match (o.exit_code, o.signal) {
                        (Some(code), _) => format!("exited with code {code}"),
                        (None, Some(signal)) => format!("killed by signal {signal}"),
                        _ => "ended".to_string(),
                    },
                    Err(e) => format!("was lost: {e}"),
                };
                let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
                Ending::Vanished(match last {
                    Some(line) => format!("the agent {how} without a result — {}", line.trim()),
                    None => format!("the agent {how} without a result"),
                })
            }
        })
    }

    fn audit_start(&self, row: &StepRow, spec: &ProcessSpec) {
        if let Value::Object(entry) = serde_json::json!({
            "kind": "agent",
            "task_id": self.task.id,
            "run_id": self.run_id,
            "step_id": row.id,
            "attempt": row.attempts,
            "argv": spec.argv,
            "cwd": spec.cwd,
            "session_id": row.agent.as_ref().and_then(|a| a.session_id.clone()),
        }) {
            self.ctx.audit.record(entry);
        }
    }

    /// Records what the agent did: the transcript, and the step's live view of it.
    async fn note_event(&self, row: &mut StepRow, event: AgentEvent) {
        let mut save = false;
        let message = match &event {
            AgentEvent::SessionStarted { session_id, model } => {
                if let Some(view) = row.agent.as_mut() {
                    if !session_id.is_empty() && view.session_id.as_ref() != Some(session_id) {
                        view.session_id = Some(session_id.clone());
                        save = true;
                    }
                    if model.is_some() && view.model != *model {
                        view.model = model.clone();
                        save = true;
                    }
                }
                None
            }
            AgentEvent::Text(text) if !text.trim().is_empty() => {
                Some(("info", format!("agent: {}", one_line(text))))
            }
            AgentEvent::ToolRequested { tool, input, .. } => {
                if let Some(view) = row.agent.as_mut() {
                    view.tool_calls += 1;
                    view.tool = Some(tool_summary(tool, input));
                    save = true;
                }
                Some(("info", format!("agent → {}", tool_summary(tool, input))))
            }
            AgentEvent::ToolFinished { ok, output, .. } => {
                if let Some(view) = row.agent.as_mut() {
                    view.tool = None;
                    save = true;
                }
                let mark = if *ok { "ok" } else { "failed" };
                Some(("info", format!("agent ← {mark}: {}", one_line(output))))
            }
            AgentEvent::Retrying {
                attempt,
                max,
                delay_ms,
                status,
            } => Some((
                "warn",
                format!(
                    "agent API {}: retry {attempt}/{max} in {}",
                    match status {
                        Some(529) => "overloaded (529)".to_string(),
                        Some(429) => "rate limited (429)".to_string(),
                        Some(s) => format!("error ({s})"),
                        None => "error".to_string(),
                    },
                    humantime::format_duration(Duration::from_millis(*delay_ms))
                ),
            )),
            _ => None,
        };
        let mut ops = Vec::new();
        if save {
            ops.push(WriteOp::UpsertStep(row.clone()));
        }
        if let Some((level, message)) = message {
            ops.push(WriteOp::Log {
                level,
                task_id: Some(self.task.id.clone()),
                step_id: Some(row.id.clone()),
                message,
            });
        }
        if !ops.is_empty() {
            // Best effort: the agent is not stopped because its transcript could not be saved.
            let _ = self.ctx.write(ops).await;
        }
    }

    /// The policy's answer to one tool call; `Err` when the step was stopped while asking.
    async fn decide_tool(
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
            Access::Ask(why) => return self.escalate_tool(skill, row, request, why).await,
        };
        let gate = self.judge(step, skill, spec, &argv, question, row).await?;
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
