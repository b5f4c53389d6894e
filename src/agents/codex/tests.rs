//! The adapter read against Codex 0.171.0's own stdout: each `tests/agents/codex_*.jsonl` is
//! what `codex app-server` printed, driven against the kit's fake model server with the
//! lines this adapter writes (the same requests, in the same order, with the same ids).

use serde_json::{Value, json};

use super::*;

const SHELL_ACCEPT: &str = include_str!("../../../tests/agents/codex_shell_accept.jsonl");
const SHELL_DECLINE: &str = include_str!("../../../tests/agents/codex_shell_decline.jsonl");
/// One `apply_patch` adding `notes.txt` and `sub/more.txt`.
const PATCH_ACCEPT: &str = include_str!("../../../tests/agents/codex_patch_accept.jsonl");
const PATCH_DECLINE: &str = include_str!("../../../tests/agents/codex_patch_decline.jsonl");
/// SHELL_ACCEPT's thread taken up by a second process, which runs one more shell call.
const RESUME: &str = include_str!("../../../tests/agents/codex_resume.jsonl");
/// A thread id this Codex home has never seen.
const RESUME_MISSING: &str = include_str!("../../../tests/agents/codex_resume_missing.jsonl");
/// A 500, a failed stream, a 429, then an answer (three retries allowed).
const RETRIES: &str = include_str!("../../../tests/agents/codex_retries.jsonl");
/// A 429 with no retries allowed.
const FAILED_429: &str = include_str!("../../../tests/agents/codex_failed_429.jsonl");
const SCHEMA: &str = include_str!("../../../tests/agents/codex_schema.jsonl");
/// `turn/interrupt` sent while an approval waits.
const INTERRUPT: &str = include_str!("../../../tests/agents/codex_interrupt.jsonl");

fn launch(session: Session, schema: Option<Value>) -> Launch {
    Launch {
        command: "codex".into(),
        args: Vec::new(),
        model: Some("gpt-5.5".into()),
        session,
        max_turns: None,
        schema,
        max_budget_usd: None,
        cwd: "/work".into(),
    }
}

fn new() -> Codex {
    Codex::new(launch(Session::New("bosun-1".into()), None))
}

/// Every event and reply `transcript` gives after the opening, each request answered `reply`.
fn run(codex: &mut Codex, transcript: &str, reply: &Reply) -> (Vec<AgentEvent>, Vec<Value>) {
    codex.opening("do it");
    let (mut events, mut written) = (Vec::new(), Vec::new());
    for line in transcript.lines() {
        let heard = codex.read(line);
        for event in &heard.events {
            if let AgentEvent::PermissionAsked(request) = event {
                written.extend(codex.answer(request, reply));
            }
        }
        written.extend(heard.replies);
        events.extend(heard.events);
    }
    let written = written
        .iter()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    (events, written)
}

fn asked(events: &[AgentEvent]) -> Vec<&PermissionRequest> {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::PermissionAsked(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn end(events: &[AgentEvent]) -> &Finished {
    match events.last() {
        Some(AgentEvent::Finished(end)) => end,
        _ => panic!("ends with Finished: {events:#?}"),
    }
}

#[test]
fn the_handshake_follows_from_what_codex_answers() {
    let mut codex = new();
    let opening: Value = serde_json::from_str(&codex.opening("do it")[0]).expect("JSON");
    assert_eq!(
        (&opening["id"], &opening["method"]),
        (&json!(1), &json!("initialize"))
    );
    let quiet = &opening["params"]["capabilities"]["optOutNotificationMethods"];
    assert!(quiet.as_array().is_some_and(|q| !q.is_empty()));

    let mut lines = SHELL_ACCEPT.lines();
    let heard = codex.read(lines.next().expect("initialize's result"));
    assert!(heard.events.is_empty());
    let replies: Vec<Value> = heard
        .replies
        .iter()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(replies[0], json!({ "method": "initialized" }));
    assert_eq!(replies[1]["method"], "thread/start");
    assert_eq!(
        replies[1]["params"],
        json!({ "cwd": "/work", "approvalPolicy": "untrusted", "approvalsReviewer": "user",
                "sandbox": "workspace-write", "model": "gpt-5.5" })
    );

    let thread = lines
        .find(|l| l.starts_with(r#"{"id":2,"#))
        .expect("thread/start's result");
    let heard = codex.read(thread);
    let [AgentEvent::SessionStarted { session_id, model }] = &heard.events[..] else {
        panic!("{heard:#?}");
    };
    assert_eq!(model.as_deref(), Some("gpt-5.5"));
    let turn: Value = serde_json::from_str(&heard.replies[0]).expect("JSON");
    assert_eq!(
        (&turn["id"], &turn["method"]),
        (&json!(3), &json!("turn/start"))
    );
    assert_eq!(turn["params"]["threadId"], json!(session_id));
    assert_eq!(
        turn["params"]["input"],
        json!([{ "type": "text", "text": "do it" }])
    );
    assert!(turn["params"].get("outputSchema").is_none());
}

#[test]
fn an_accepted_command_runs_and_the_turn_ends_with_its_answer() {
    let mut codex = new();
    let (events, written) = run(&mut codex, SHELL_ACCEPT, &Reply::Allow);
    let [request] = asked(&events)[..] else {
        panic!("one approval: {events:#?}");
    };
    assert_eq!(
        (
            request.tool.as_str(),
            request.via,
            request.request_id.as_str()
        ),
        ("Bash", Via::Rpc, "0")
    );
    assert_eq!(request.input, json!({ "command": "echo hello > out.txt" }));
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::ToolRequested { call_id, tool, .. } if *call_id == request.call_id && tool == "Bash")));
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::ToolFinished { call_id, ok: true, .. } if *call_id == request.call_id)));
    assert!(written.contains(&json!({ "id": 0, "result": { "decision": "accept" } })));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, AgentEvent::PermissionWithdrawn { .. })),
        "an answered request is not withdrawn"
    );
    let end = end(&events);
    let started = events.iter().find_map(|e| match e {
        AgentEvent::SessionStarted { session_id, .. } => Some(session_id.clone()),
        _ => None,
    });
    assert!(end.ok && end.result == "done", "{end:?}");
    assert_eq!(end.session_id, started);
    assert_eq!((end.input_tokens, end.output_tokens), (2200, 55));
    assert_eq!((end.turns, end.denied), (1, 0));
    assert_eq!(end.stop_reason.as_deref(), Some("completed"));
    assert_eq!((end.cost_usd, &end.structured), (None, &None));
}

#[test]
fn a_declined_command_fails_and_the_turn_goes_on() {
    let mut codex = new();
    let (events, written) = run(&mut codex, SHELL_DECLINE, &Reply::Deny("no".into()));
    assert!(written.contains(&json!({ "id": 0, "result": { "decision": "decline" } })));
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::ToolFinished { ok: false, output, .. } if output == "declined")));
    let end = end(&events);
    assert!(end.ok && end.result == "done", "{end:?}");
    assert_eq!(end.denied, 1);
}

#[test]
fn a_patch_is_asked_about_with_every_file_it_touches() {
    let mut codex = new();
    let (events, _) = run(&mut codex, PATCH_ACCEPT, &Reply::Allow);
    let [request] = asked(&events)[..] else {
        panic!("one approval: {events:#?}");
    };
    assert_eq!(
        (request.tool.as_str(), request.call_id.as_str()),
        ("Write", "call_patch1")
    );
    let files = request.input["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(request.input["file_path"], files[0]);
    assert!(
        files[0]
            .as_str()
            .is_some_and(|f| f.ends_with("/work/notes.txt"))
            && files[1]
                .as_str()
                .is_some_and(|f| f.ends_with("/work/sub/more.txt")),
        "{files:?}"
    );
    assert!(matches!(
        super::super::access(&request.tool, &request.input),
        super::super::Access::Command(c) if c.len() == 4
    ));
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::ToolFinished { call_id, ok: true, .. } if call_id == "call_patch1")));
    assert_eq!(end(&events).result, "patched");

    let mut codex = new();
    let (events, _) = run(&mut codex, PATCH_DECLINE, &Reply::Deny("no".into()));
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::ToolFinished { call_id, ok: false, .. } if call_id == "call_patch1")));
    assert!(end(&events).ok && end(&events).denied == 1);
}

#[test]
fn a_resumed_thread_counts_only_this_process_tokens() {
    let thread = "01a2368c-f27a-7d30-8c14-ba2ce7d2b972";
    let mut codex = Codex::new(launch(Session::Resume(thread.into()), None));
    codex.opening("again");
    let heard = codex.read(SHELL_ACCEPT.lines().next().expect("initialize's result"));
    let resume: Value = serde_json::from_str(&heard.replies[1]).expect("JSON");
    assert_eq!(resume["method"], "thread/resume");
    assert_eq!(
        (
            &resume["params"]["threadId"],
            &resume["params"]["excludeTurns"]
        ),
        (&json!(thread), &json!(true))
    );

    let mut codex = Codex::new(launch(Session::Resume(thread.into()), None));
    let (events, _) = run(&mut codex, RESUME, &Reply::Allow);
    assert!(events.contains(&AgentEvent::SessionStarted {
        session_id: thread.into(),
        model: Some("gpt-5.5".into()),
    }));
    let end = end(&events);
    assert!(end.ok && end.result == "done again", "{end:?}");
    assert_eq!(end.session_id.as_deref(), Some(thread));
    // The replayed totals were 2200/55; this process's two calls cost 100/20 each.
    assert_eq!((end.input_tokens, end.output_tokens), (200, 40));
}

#[test]
fn a_failed_handshake_ends_the_session() {
    let mut codex = Codex::new(launch(Session::Resume("01a2368c-f27a".into()), None));
    let (events, _) = run(&mut codex, RESUME_MISSING, &Reply::Allow);
    let end = end(&events);
    assert!(!end.ok);
    assert_eq!(end.stop_reason.as_deref(), Some("rpc_error"));
    assert!(
        end.result.contains("thread/resume") && end.result.contains("no rollout found"),
        "{end:?}"
    );
}

#[test]
fn retries_are_reported_and_the_last_failure_names_its_status() {
    let (events, _) = run(&mut new(), RETRIES, &Reply::Allow);
    let retries: Vec<(u32, u32, Option<u16>)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Retrying {
                attempt,
                max,
                status,
                ..
            } => Some((*attempt, *max, *status)),
            _ => None,
        })
        .collect();
    assert_eq!(retries, vec![(1, 3, None), (2, 3, Some(429))]);
    assert!(end(&events).ok && end(&events).result == "done after retries");

    let (events, _) = run(&mut new(), FAILED_429, &Reply::Allow);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, AgentEvent::Retrying { .. }))
    );
    let end = end(&events);
    assert!(!end.ok);
    assert_eq!(end.error_status, Some(429));
    assert_eq!(end.stop_reason.as_deref(), Some("failed"));
}

#[test]
fn a_schema_reaches_the_turn_and_its_answer_is_parsed() {
    let schema = json!({ "type": "object", "properties": { "answer": { "type": "integer" } },
                         "required": ["answer"], "additionalProperties": false });
    let mut codex = Codex::new(launch(Session::New("b".into()), Some(schema.clone())));
    let (events, written) = run(&mut codex, SCHEMA, &Reply::Allow);
    let turn = written
        .iter()
        .find(|w| w["method"] == "turn/start")
        .expect("turn/start");
    assert_eq!(turn["params"]["outputSchema"], schema);
    assert_eq!(end(&events).structured, Some(json!({ "answer": 42 })));
}

#[test]
fn an_interrupt_stops_the_turn_and_withdraws_its_request() {
    let mut codex = new();
    assert!(codex.interrupt().is_empty(), "no turn yet");
    codex.opening("do it");
    let mut events = Vec::new();
    let mut interrupt = Vec::new();
    for line in INTERRUPT.lines() {
        let heard = codex.read(line);
        if heard
            .events
            .iter()
            .any(|e| matches!(e, AgentEvent::PermissionAsked(_)))
        {
            interrupt = codex.interrupt();
        }
        events.extend(heard.events);
    }
    let sent: Value = serde_json::from_str(&interrupt[0]).expect("JSON");
    assert_eq!(
        (&sent["id"], &sent["method"]),
        (&json!(4), &json!("turn/interrupt"))
    );
    let end = end(&events);
    assert_eq!(sent["params"]["threadId"], json!(end.session_id));
    assert!(sent["params"]["turnId"].is_string());
    assert!(events.contains(&AgentEvent::PermissionWithdrawn {
        request_id: "0".into()
    }));
    assert!(!end.ok);
    assert_eq!(end.stop_reason.as_deref(), Some("interrupted"));
}

#[test]
fn what_is_not_understood_is_kept_and_never_waited_on() {
    let mut codex = new();
    assert_eq!(
        codex.read("not json").events,
        vec![AgentEvent::Raw("not json".into())]
    );
    let warning = SHELL_ACCEPT
        .lines()
        .find(|l| l.contains("configWarning"))
        .expect("a warning");
    assert_eq!(
        codex.read(warning).events,
        vec![AgentEvent::Raw(warning.into())]
    );
    let input = r#"{"method":"item/tool/requestUserInput","id":"q-7","params":{"itemId":"i"}}"#;
    let heard = codex.read(input);
    assert_eq!(heard.events, vec![AgentEvent::Raw(input.into())]);
    let refusal: Value = serde_json::from_str(&heard.replies[0]).expect("JSON");
    assert_eq!(refusal["id"], "q-7");
    assert!(refusal["error"]["code"].is_i64());
}

#[test]
fn an_answer_names_the_request_id_as_codex_sent_it() {
    let request = PermissionRequest {
        request_id: r#""abc""#.into(),
        call_id: "call_1".into(),
        tool: "Bash".into(),
        input: json!({ "command": "ls" }),
        via: Via::Rpc,
        cwd: None,
    };
    let line: Value = serde_json::from_str(&answer(&request, &Reply::Allow)).expect("JSON");
    assert_eq!(
        line,
        json!({ "id": "abc", "result": { "decision": "accept" } })
    );
    assert_eq!(
        argv("codex", &["-c".into(), "x=1".into()]),
        ["codex", "-c", "x=1", "app-server"]
    );
}
