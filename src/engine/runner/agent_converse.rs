//! One session of an agent step: the agent's process started, its lines read and turned into
//! events, its permission requests answered through the policy (only this agent waits on an
//! escalation), and its end read — a result, a process that vanished, or a stop.

use std::collections::HashMap;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

use super::agent_io::{Transcript, write_lines};
use super::agent_step::AGENT_GRACE;
use super::{Halt, Run};
use crate::agents::{AgentEvent, Conversation, Finished, Reply};
use crate::definitions::skills::Skill;
use crate::definitions::workflow::Step;
use crate::engine::process::{self, ProcessSpec};
use crate::store::{StepRow, StoreError};

/// How an agent process ended, as the step sees it.
pub(super) enum Ending {
    Finished(Finished),
    /// It ended without a result line.
    Vanished(String),
    /// Stopped (cancelled, or the engine stopping), with what the session said it spent when
    /// its result line came before it ended.
    Halted(Halt, Option<Finished>),
}

impl Run<'_> {
    /// Starts the agent, talks with it until it ends, and answers its permission requests.
    pub(super) async fn converse(
        &self,
        step: &Step,
        skill: &Skill,
        row: &mut StepRow,
        spec: ProcessSpec,
        talk: &mut dyn Conversation,
        opening: &str,
    ) -> Result<Ending, StoreError> {
        let program = spec.argv.first().cloned().unwrap_or_default();
        self.audit_start("agent", row, &spec);
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
            // Its result line (what the session spent) is read too.
            let _ = tokio::time::timeout(AGENT_GRACE, async {
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
            return Ok(Ending::Halted(
                self.halt().unwrap_or(Halt::Cancelled),
                finished,
            ));
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
}
