//! Codex through `codex app-server`: JSON-RPC over stdio, one object a line. The handshake
//! runs itself from what Codex answers — `initialize`, then `initialized` and `thread/start`
//! (or `thread/resume` with `excludeTurns`), then `turn/start` with the prompt — so the engine
//! only writes the opening and the replies [`Heard`] carries. Measured against the real CLI
//! (0.171.0) and the kit's fake model server:
//!
//! - With `approvalPolicy: "untrusted"` every shell call (`ls` included) and every patch asks
//!   first: `item/commandExecution/requestApproval` names the command,
//!   `item/fileChange/requestApproval` only its item, whose paths came in `item/started`.
//!   `decline` reaches the model as "rejected by user" (no reason can be given) and the turn
//!   goes on; the item completes `declined`.
//! - An `error` notification with `willRetry: true` is a retry ("Reconnecting... 2/3", with
//!   the HTTP status in `codexErrorInfo`); one without precedes a `failed` turn.
//! - A resumed thread first replays its old token totals under an old turn's id: tokens are
//!   counted from there, so [`Finished`] holds what this process spent.
//!
//! Not closed here: an allow rule in `$CODEX_HOME/rules/*.rules` (or a project's
//! `.codex/rules`) runs a matching command without asking — measured with `touch` — so the
//! engine gives Codex a home whose config and rules it controls ([`home`]). Any other request
//! Codex sends (user input, MCP elicitation, more sandbox permissions) is refused at once, so
//! it never waits.

pub mod home;
mod items;
mod shell;

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use items::{command_approval, http_status, tool_call};

use super::{
    AgentEvent, Conversation, Finished, Heard, Launch, PermissionRequest, Reply, Session, Via,
};

/// Streaming notifications Bosun has no use for: each item arrives whole in `item/completed`.
const QUIET: &[&str] = &[
    "item/agentMessage/delta",
    "item/commandExecution/outputDelta",
    "item/fileChange/outputDelta",
    "item/plan/delta",
    "item/reasoning/summaryTextDelta",
    "item/reasoning/summaryPartAdded",
    "item/reasoning/textDelta",
];

/// What one of our requests was, to read its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Initialize,
    Thread,
    Turn,
    Interrupt,
}

/// Input and output tokens.
type Tokens = (u64, u64);

/// A Codex app-server session as a [`Conversation`].
pub struct Codex {
    launch: Launch,
    prompt: String,
    next_id: u64,
    /// Our requests awaiting a response: what each was and its method.
    calls: HashMap<u64, (Call, &'static str)>,
    thread: Option<String>,
    turn: Option<String>,
    model: Option<String>,
    /// The tool calls started and not completed, by item id, as a request names them.
    items: HashMap<String, (String, Value)>,
    /// Approval requests not yet answered, by request id.
    asked: HashSet<String>,
    last_message: String,
    /// The thread's token totals when this process took it up, and now.
    tokens_before: Tokens,
    tokens_now: Tokens,
    turns: u32,
    denied: u32,
    retries: u32,
}

impl Codex {
    pub fn new(launch: Launch) -> Codex {
        Codex {
            launch,
            prompt: String::new(),
            next_id: 1,
            calls: HashMap::new(),
            thread: None,
            turn: None,
            model: None,
            items: HashMap::new(),
            asked: HashSet::new(),
            last_message: String::new(),
            tokens_before: (0, 0),
            tokens_now: (0, 0),
            turns: 0,
            denied: 0,
            retries: 0,
        }
    }

    fn request(&mut self, call: Call, method: &'static str, params: Value) -> String {
        let id = self.next_id;
        self.next_id += 1;
        self.calls.insert(id, (call, method));
        json!({ "id": id, "method": method, "params": params }).to_string()
    }

    /// `thread/start`, or `thread/resume` for a session to take up again.
    fn thread_request(&mut self) -> String {
        let mut params = Map::new();
        params.insert("cwd".into(), json!(self.launch.cwd));
        // Every command and patch asks, and asks us: a config's `approvals_reviewer` could
        // otherwise send the question to Codex's own reviewing subagent.
        params.insert("approvalPolicy".into(), json!("untrusted"));
        params.insert("approvalsReviewer".into(), json!("user"));
        params.insert("sandbox".into(), json!("workspace-write"));
        if let Some(model) = &self.launch.model {
            params.insert("model".into(), json!(model));
        }
        let method = match &self.launch.session {
            Session::New(_) => "thread/start",
            Session::Resume(id) => {
                params.insert("threadId".into(), json!(id));
                // The old turns are not needed, and asking for them is deprecated.
                params.insert("excludeTurns".into(), json!(true));
                "thread/resume"
            }
        };
        self.request(Call::Thread, method, Value::Object(params))
    }

    fn turn_request(&mut self) -> String {
        let mut params = Map::new();
        params.insert("threadId".into(), json!(self.thread));
        params.insert(
            "input".into(),
            json!([{ "type": "text", "text": self.prompt }]),
        );
        if let Some(schema) = &self.launch.schema {
            params.insert("outputSchema".into(), schema.clone());
        }
        self.request(Call::Turn, "turn/start", Value::Object(params))
    }

    fn response(&mut self, line: &str, msg: &Value) -> Heard {
        let Some((call, method)) = msg["id"].as_u64().and_then(|id| self.calls.remove(&id)) else {
            return vec![AgentEvent::Raw(line.to_string())].into();
        };
        let result = &msg["result"];
        match call {
            Call::Interrupt => Heard::default(),
            // Nothing more comes after a failed handshake: the session ends here.
            _ if msg.get("error").is_some() => {
                let why = text(&msg["error"]["message"]);
                vec![AgentEvent::Finished(Finished {
                    ok: false,
                    result: format!("codex answered {method} with an error: {why}"),
                    session_id: self.thread.clone(),
                    stop_reason: Some("rpc_error".into()),
                    session_lost: method == "thread/resume" && why.contains("no rollout found"),
                    ..Finished::default()
                })]
                .into()
            }
            Call::Initialize => Heard {
                events: Vec::new(),
                replies: vec![
                    json!({ "method": "initialized" }).to_string(),
                    self.thread_request(),
                ],
            },
            Call::Thread => {
                let id = text(&result["thread"]["id"]);
                self.thread = Some(id.clone());
                self.model = result["model"].as_str().map(String::from);
                Heard {
                    events: vec![AgentEvent::SessionStarted {
                        session_id: id,
                        model: self.model.clone(),
                    }],
                    replies: vec![self.turn_request()],
                }
            }
            Call::Turn => {
                self.turn = result["turn"]["id"].as_str().map(String::from);
                Heard::default()
            }
        }
    }

    /// A request from Codex: an approval, or something refused at once.
    fn server_request(&mut self, line: &str, msg: &Value) -> Heard {
        let params = &msg["params"];
        let item = text(&params["itemId"]);
        let (tool, input) = match msg["method"].as_str() {
            Some("item/commandExecution/requestApproval") => command_approval(params),
            Some("item/fileChange/requestApproval") => self
                .items
                .get(&item)
                .cloned()
                .unwrap_or_else(|| ("Edit".into(), json!({}))),
            _ => {
                let refusal = json!({
                    "id": msg["id"],
                    "error": { "code": -32601, "message": "Bosun does not answer this request" }
                });
                return Heard {
                    events: vec![AgentEvent::Raw(line.to_string())],
                    replies: vec![refusal.to_string()],
                };
            }
        };
        let request_id = msg["id"].to_string();
        self.asked.insert(request_id.clone());
        vec![AgentEvent::PermissionAsked(PermissionRequest {
            request_id,
            call_id: item,
            tool,
            input,
            via: Via::Rpc,
            cwd: params["cwd"].as_str().map(String::from),
        })]
        .into()
    }

    fn notification(&mut self, line: &str, msg: &Value) -> Heard {
        let params = &msg["params"];
        let raw = || vec![AgentEvent::Raw(line.to_string())];
        let events = match msg["method"].as_str() {
            Some("item/started") => match tool_call(&params["item"]) {
                Some((tool, input)) => {
                    let call_id = text(&params["item"]["id"]);
                    self.items
                        .insert(call_id.clone(), (tool.clone(), input.clone()));
                    vec![AgentEvent::ToolRequested {
                        call_id,
                        tool,
                        input,
                    }]
                }
                None => raw(),
            },
            Some("item/completed") => self.completed(&params["item"]).unwrap_or_else(raw),
            Some("turn/started") => {
                self.turn = params["turn"]["id"].as_str().map(String::from);
                Vec::new()
            }
            Some("thread/tokenUsage/updated") => {
                let total = &params["tokenUsage"]["total"];
                let tokens = (
                    number(&total["inputTokens"]),
                    number(&total["outputTokens"]),
                );
                if params["turnId"].as_str() != self.turn.as_deref() {
                    self.tokens_before = tokens;
                }
                self.tokens_now = tokens;
                Vec::new()
            }
            Some("error") if params["willRetry"] == true => vec![self.retrying(&params["error"])],
            Some("serverRequest/resolved") => {
                let request_id = params["requestId"].to_string();
                if self.asked.remove(&request_id) {
                    vec![AgentEvent::PermissionWithdrawn { request_id }]
                } else {
                    Vec::new()
                }
            }
            Some("turn/completed") => {
                // Codex resolves a request the turn left waiting only after this line: it is
                // withdrawn first, so nothing after the session's end is needed.
                let mut left: Vec<String> = self.asked.drain().collect();
                left.sort();
                let mut events: Vec<AgentEvent> = left
                    .into_iter()
                    .map(|request_id| AgentEvent::PermissionWithdrawn { request_id })
                    .collect();
                events.push(AgentEvent::Finished(self.finished(&params["turn"])));
                events
            }
            _ => raw(),
        };
        events.into()
    }

    fn completed(&mut self, item: &Value) -> Option<Vec<AgentEvent>> {
        let status = item["status"].as_str().unwrap_or_default();
        let call_id = text(&item["id"]);
        match item["type"].as_str() {
            Some("agentMessage") => {
                self.last_message = text(&item["text"]);
                return Some(vec![AgentEvent::Text(self.last_message.clone())]);
            }
            Some("commandExecution" | "fileChange") => {}
            _ => return None,
        }
        self.items.remove(&call_id);
        if status == "declined" {
            self.denied += 1;
        }
        let ok = status == "completed" && item["exitCode"].as_i64().unwrap_or(0) == 0;
        let output = match item["aggregatedOutput"].as_str() {
            Some(out) => out.to_string(),
            // Declined or failed before it ran: the status is all there is to say.
            None if status != "completed" => status.to_string(),
            None => String::new(),
        };
        Some(vec![AgentEvent::ToolFinished {
            call_id,
            ok,
            output,
        }])
    }

    fn retrying(&mut self, error: &Value) -> AgentEvent {
        self.retries += 1;
        // "Reconnecting... 2/3": Codex says the attempt in its message only.
        let counted = text(&error["message"])
            .rsplit(' ')
            .next()
            .and_then(|n| n.split_once('/'))
            .and_then(|(a, m)| Some((a.parse().ok()?, m.parse().ok()?)));
        let (attempt, max) = counted.unwrap_or((self.retries, 0));
        AgentEvent::Retrying {
            attempt,
            max,
            delay_ms: 0,
            status: http_status(&error["codexErrorInfo"]),
        }
    }

    fn finished(&mut self, turn: &Value) -> Finished {
        self.turns += 1;
        let status = text(&turn["status"]);
        let ok = status == "completed";
        let result = self.last_message.clone();
        Finished {
            ok,
            structured: self
                .launch
                .schema
                .as_ref()
                .filter(|_| ok)
                .and_then(|_| serde_json::from_str(&result).ok()),
            result,
            error_status: http_status(&turn["error"]["codexErrorInfo"]),
            session_id: self.thread.clone(),
            cost_usd: None,
            input_tokens: self.tokens_now.0.saturating_sub(self.tokens_before.0),
            output_tokens: self.tokens_now.1.saturating_sub(self.tokens_before.1),
            turns: self.turns,
            stop_reason: Some(status),
            denied: self.denied,
            session_lost: false,
        }
    }
}

impl Conversation for Codex {
    fn argv(&self) -> Vec<String> {
        argv(&self.launch.command, &self.launch.args)
    }

    fn opening(&mut self, prompt: &str) -> Vec<String> {
        self.prompt = prompt.to_string();
        let params = json!({
            "clientInfo": { "name": "bosun", "title": "Bosun", "version": env!("CARGO_PKG_VERSION") },
            "capabilities": { "optOutNotificationMethods": QUIET },
        });
        vec![self.request(Call::Initialize, "initialize", params)]
    }

    fn read(&mut self, line: &str) -> Heard {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            return vec![AgentEvent::Raw(line.to_string())].into();
        };
        match (msg.get("method"), msg.get("id")) {
            (Some(_), Some(_)) => self.server_request(line, &msg),
            (Some(_), None) => self.notification(line, &msg),
            (None, Some(_)) => self.response(line, &msg),
            (None, None) => vec![AgentEvent::Raw(line.to_string())].into(),
        }
    }

    fn answer(&mut self, request: &PermissionRequest, reply: &Reply) -> Vec<String> {
        self.asked.remove(&request.request_id);
        vec![answer(request, reply)]
    }

    fn interrupt(&mut self) -> Vec<String> {
        match (self.thread.clone(), self.turn.clone()) {
            (Some(thread), Some(turn)) => vec![self.request(
                Call::Interrupt,
                "turn/interrupt",
                json!({ "threadId": thread, "turnId": turn }),
            )],
            // No turn yet: nothing runs that an interrupt could stop.
            _ => Vec::new(),
        }
    }
}

/// The command line: the user's `command` and `args`, then `app-server`. The model goes in
/// `thread/start`, not a `-c` flag.
pub fn argv(command: &str, args: &[String]) -> Vec<String> {
    let mut argv = vec![command.to_string()];
    argv.extend(args.iter().cloned());
    argv.push("app-server".into());
    argv
}

/// The line answering an approval: `accept` or `decline` (Codex passes no reason on).
pub fn answer(request: &PermissionRequest, reply: &Reply) -> String {
    let id = serde_json::from_str::<Value>(&request.request_id)
        .unwrap_or_else(|_| Value::String(request.request_id.clone()));
    let decision = match reply {
        Reply::Allow => "accept",
        Reply::Deny(_) => "decline",
    };
    json!({ "id": id, "result": { "decision": decision } }).to_string()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn number(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

#[cfg(test)]
mod tests;
