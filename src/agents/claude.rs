//! Claude Code headless: `claude -p` with stream-json in and out. Every tool call reaches Bosun
//! through the PreToolUse hook registered in the opening `initialize` request — read-only
//! calls included, which never reach `can_use_tool` — and a hook answered `ask` comes back as
//! a `can_use_tool` prompt. Measured against the real CLI (2.1.332): a hook held 45 s is
//! waited on; a hook `deny` reaches the model as an `is_error` tool result with the reason.
//!
//! The arguments always end with `--setting-sources=` (the user's and the project's Claude
//! settings — their allow rules and hooks — do not apply) and `--strict-mcp-config` (no
//! `.mcp.json` servers), after whatever the user configured, so nothing approves a call
//! behind the policy's back.

use serde_json::{Value, json};

use super::{
    AgentEvent, Conversation, Finished, Heard, Launch, PermissionRequest, Reply, Session, Via,
};

/// The hook callback id Bosun registers.
const HOOK_ID: &str = "bosun_pre_tool_use";

/// A Claude Code session as a [`Conversation`].
pub struct Claude {
    launch: Launch,
    interrupts: u32,
}

impl Claude {
    pub fn new(launch: Launch) -> Claude {
        Claude {
            launch,
            interrupts: 0,
        }
    }
}

impl Conversation for Claude {
    fn argv(&self) -> Vec<String> {
        let l = &self.launch;
        let mut line = argv(&l.command, &l.args, &l.session, l.max_turns);
        if let Some(model) = &l.model {
            line.extend(["--model".to_string(), model.clone()]);
        }
        if let Some(schema) = &l.schema {
            line.extend(["--json-schema".to_string(), schema.to_string()]);
        }
        if let Some(usd) = l.max_budget_usd {
            // Rounded up to a hundredth of a cent: never below what is left.
            let usd = (usd * 10_000.0).ceil() / 10_000.0;
            line.extend(["--max-budget-usd".to_string(), format!("{usd:.4}")]);
        }
        line
    }

    fn opening(&mut self, prompt: &str) -> Vec<String> {
        opening(prompt)
    }

    fn read(&mut self, line: &str) -> Heard {
        read(line).into()
    }

    fn answer(&mut self, request: &PermissionRequest, reply: &Reply) -> Vec<String> {
        vec![answer(request, reply)]
    }

    fn interrupt(&mut self) -> Vec<String> {
        self.interrupts += 1;
        vec![
            json!({
                "type": "control_request",
                "request_id": format!("bosun_interrupt_{}", self.interrupts),
                "request": { "subtype": "interrupt" }
            })
            .to_string(),
        ]
    }
}

/// The command line: the user's `command` and `args`, then the protocol and isolation flags.
pub fn argv(
    command: &str,
    args: &[String],
    session: &Session,
    max_turns: Option<u32>,
) -> Vec<String> {
    let mut argv = vec![command.to_string()];
    argv.extend(args.iter().cloned());
    argv.extend(
        [
            "-p",
            "--input-format",
            "stream-json",
            "--output-format",
            "stream-json",
            "--verbose",
            "--permission-prompt-tool",
            "stdio",
            "--setting-sources=",
            "--strict-mcp-config",
        ]
        .map(String::from),
    );
    match session {
        Session::New(id) => argv.extend(["--session-id".to_string(), id.clone()]),
        Session::Resume(id) => argv.push(format!("--resume={id}")),
    }
    if let Some(turns) = max_turns {
        argv.extend(["--max-turns".to_string(), turns.to_string()]);
    }
    argv
}

/// The first lines on stdin: register the hook, then the prompt as the user's turn.
pub fn opening(prompt: &str) -> Vec<String> {
    let initialize = json!({
        "type": "control_request",
        "request_id": "bosun_init",
        "request": {
            "subtype": "initialize",
            "hooks": { "PreToolUse": [{ "matcher": null, "hookCallbackIds": [HOOK_ID] }] }
        }
    });
    let user = json!({
        "type": "user",
        "message": { "role": "user", "content": prompt },
        "parent_tool_use_id": null,
        "session_id": ""
    });
    vec![initialize.to_string(), user.to_string()]
}

/// The line answering `request`.
pub fn answer(request: &PermissionRequest, reply: &Reply) -> String {
    let response = match (request.via, reply) {
        (Via::Hook, Reply::Allow) => hook_output("allow", "allowed by Bosun's policy"),
        (Via::Hook, Reply::Deny(why)) => hook_output("deny", why),
        (Via::Prompt | Via::Rpc, Reply::Allow) => json!({
            "behavior": "allow",
            "updatedInput": request.input,
            "toolUseID": request.call_id,
        }),
        (Via::Prompt | Via::Rpc, Reply::Deny(why)) => json!({
            "behavior": "deny",
            "message": why,
            "toolUseID": request.call_id,
        }),
    };
    json!({
        "type": "control_response",
        "response": { "subtype": "success", "request_id": request.request_id, "response": response }
    })
    .to_string()
}

fn hook_output(decision: &str, reason: &str) -> Value {
    json!({ "hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": decision,
        "permissionDecisionReason": reason,
    }})
}

/// What one line of Claude Code's stdout says.
pub fn read(line: &str) -> Vec<AgentEvent> {
    let Ok(msg) = serde_json::from_str::<Value>(line) else {
        return vec![AgentEvent::Raw(line.to_string())];
    };
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    match msg["type"].as_str() {
        Some("system") if msg["subtype"] == "init" => vec![AgentEvent::SessionStarted {
            session_id: text(&msg["session_id"]),
            model: msg["model"].as_str().map(String::from),
        }],
        Some("system") if msg["subtype"] == "api_retry" => vec![AgentEvent::Retrying {
            attempt: number(&msg["attempt"]) as u32,
            max: number(&msg["max_retries"]) as u32,
            delay_ms: number(&msg["retry_delay_ms"]),
            status: msg["error_status"]
                .as_u64()
                .and_then(|s| u16::try_from(s).ok()),
        }],
        Some("assistant") => blocks(&msg)
            .filter_map(|b| match b["type"].as_str() {
                Some("text") => Some(AgentEvent::Text(text(&b["text"]))),
                Some("tool_use") => Some(AgentEvent::ToolRequested {
                    call_id: text(&b["id"]),
                    tool: text(&b["name"]),
                    input: b["input"].clone(),
                }),
                _ => None,
            })
            .collect(),
        Some("user") => blocks(&msg)
            .filter(|b| b["type"] == "tool_result")
            .map(|b| AgentEvent::ToolFinished {
                call_id: text(&b["tool_use_id"]),
                ok: b["is_error"] != true,
                output: match &b["content"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            })
            .collect(),
        Some("control_request") => control(&msg),
        Some("control_cancel_request") => vec![AgentEvent::PermissionWithdrawn {
            request_id: text(&msg["request_id"]),
        }],
        Some("result") => vec![AgentEvent::Finished(finished(&msg))],
        _ => vec![AgentEvent::Raw(line.to_string())],
    }
}

fn number(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn blocks(msg: &Value) -> impl Iterator<Item = &Value> {
    msg["message"]["content"].as_array().into_iter().flatten()
}

fn control(msg: &Value) -> Vec<AgentEvent> {
    let request = &msg["request"];
    let request_id = msg["request_id"].as_str().unwrap_or_default().to_string();
    let asked = match request["subtype"].as_str() {
        Some("hook_callback") => PermissionRequest {
            request_id,
            call_id: request["input"]["tool_use_id"]
                .as_str()
                .unwrap_or_default()
                .into(),
            tool: request["input"]["tool_name"]
                .as_str()
                .unwrap_or_default()
                .into(),
            input: request["input"]["tool_input"].clone(),
            via: Via::Hook,
            cwd: request["input"]["cwd"].as_str().map(String::from),
        },
        Some("can_use_tool") => PermissionRequest {
            request_id,
            call_id: request["tool_use_id"].as_str().unwrap_or_default().into(),
            tool: request["tool_name"].as_str().unwrap_or_default().into(),
            input: request["input"].clone(),
            via: Via::Prompt,
            cwd: None,
        },
        _ => return vec![AgentEvent::Raw(msg.to_string())],
    };
    vec![AgentEvent::PermissionAsked(asked)]
}

fn finished(msg: &Value) -> Finished {
    let usage = &msg["usage"];
    Finished {
        ok: msg["is_error"] != true,
        result: msg["result"].as_str().unwrap_or_default().to_string(),
        structured: msg.get("structured_output").cloned(),
        error_status: msg["api_error_status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok()),
        session_id: msg["session_id"].as_str().map(String::from),
        cost_usd: msg["total_cost_usd"].as_f64(),
        input_tokens: number(&usage["input_tokens"]),
        output_tokens: number(&usage["output_tokens"]),
        turns: number(&msg["num_turns"]) as u32,
        stop_reason: msg["terminal_reason"]
            .as_str()
            .or(msg["subtype"].as_str())
            .map(String::from),
        denied: msg["permission_denials"]
            .as_array()
            .map_or(0, |d| d.len() as u32),
        session_lost: msg["errors"].as_array().is_some_and(|errors| {
            errors.iter().any(|e| {
                e.as_str()
                    .is_some_and(|e| e.starts_with("No conversation found"))
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Claude Code 2.1.332's stdout for one `ls -la` turn, its hook answered `ask`, then the
    /// `can_use_tool` prompt answered allow (captured against the fake model server).
    const ASK: &str = include_str!("../../tests/agents/claude_hook_ask.jsonl");
    /// The same turn with the hook answered `deny`.
    const DENY: &str = include_str!("../../tests/agents/claude_hook_deny.jsonl");

    fn events(transcript: &str) -> Vec<AgentEvent> {
        transcript.lines().flat_map(read).collect()
    }

    #[test]
    fn a_read_only_call_reaches_the_hook_and_then_the_prompt() {
        let all = events(ASK);
        let asked: Vec<&PermissionRequest> = all
            .iter()
            .filter_map(|e| match e {
                AgentEvent::PermissionAsked(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(asked.len(), 2, "{all:#?}");
        assert_eq!((asked[0].via, asked[1].via), (Via::Hook, Via::Prompt));
        for r in &asked {
            assert_eq!(r.tool, "Bash");
            assert_eq!(r.input["command"], "ls -la");
            assert_eq!(r.call_id, asked[0].call_id, "one call, asked twice");
        }
        assert!(matches!(
            &all[..],
            [AgentEvent::Raw(_), AgentEvent::SessionStarted { .. }, ..]
        ));
        let Some(AgentEvent::Finished(end)) = all.last() else {
            panic!("ends with its result: {all:#?}");
        };
        assert!(end.ok);
        assert_eq!(end.result, "done");
        assert_eq!(
            (end.input_tokens, end.output_tokens, end.denied),
            (2200, 55, 0)
        );
        assert!(end.cost_usd.is_some_and(|c| c > 0.0));
        assert!(
            all.iter()
                .any(|e| matches!(e, AgentEvent::ToolFinished { ok: true, .. }))
        );
    }

    #[test]
    fn a_hook_denial_reaches_the_model_as_a_failed_tool_call() {
        let all = events(DENY);
        let failed = all.iter().find_map(|e| match e {
            AgentEvent::ToolFinished {
                ok: false, output, ..
            } => Some(output.clone()),
            _ => None,
        });
        assert!(
            failed.is_some_and(|o| o.contains("driver hook: deny")),
            "{all:#?}"
        );
    }

    #[test]
    fn answers_follow_the_way_the_request_came() {
        let mut request = PermissionRequest {
            request_id: "r-1".into(),
            call_id: "toolu_1".into(),
            tool: "Bash".into(),
            input: json!({ "command": "ls" }),
            via: Via::Hook,
            cwd: None,
        };
        let hook: Value =
            serde_json::from_str(&answer(&request, &Reply::Deny("no".into()))).expect("JSON");
        assert_eq!(hook["response"]["request_id"], "r-1");
        assert_eq!(
            hook["response"]["response"]["hookSpecificOutput"]["permissionDecision"],
            "deny"
        );
        request.via = Via::Prompt;
        let prompt: Value = serde_json::from_str(&answer(&request, &Reply::Allow)).expect("JSON");
        let inner = &prompt["response"]["response"];
        assert_eq!(
            (&inner["behavior"], &inner["toolUseID"]),
            (&json!("allow"), &json!("toolu_1"))
        );
        assert_eq!(inner["updatedInput"], json!({ "command": "ls" }));
    }

    #[test]
    fn the_isolation_flags_come_after_the_users_arguments() {
        let args = vec!["--model".to_string(), "x".to_string()];
        let line = argv("claude", &args, &Session::Resume("s-1".into()), Some(30));
        let at = |flag: &str| line.iter().position(|a| a == flag).expect(flag);
        assert!(at("--setting-sources=") > at("--model"));
        assert!(at("--strict-mcp-config") > at("--model"));
        assert!(line.contains(&"--resume=s-1".to_string()));
        assert_eq!(line.last().map(String::as_str), Some("30"));
        assert_eq!(read("not json"), vec![AgentEvent::Raw("not json".into())]);
    }
}
