//! `bosun mcp` end to end: the real binary as an MCP server on stdin/stdout, driven with
//! JSON-RPC lines (the handshake, the six tools and their schemas, tool errors that leave the
//! server answering, a question answered through it); and the real `claude` CLI as the MCP
//! client, handing a task to a running engine against the kit's fake model.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::Project;
use support::agents::{self, FakeModel};

const LONG: Duration = Duration::from_secs(30);

/// `bosun mcp` for a project, after the handshake.
struct Mcp {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    next: u64,
    /// What the server said on initialize.
    init: Value,
}

impl Mcp {
    fn start(project: &Project) -> Mcp {
        // Beside the project's logs, out of the watched tree.
        std::fs::create_dir_all(project.path(".bosun")).expect(".bosun");
        let stderr = std::fs::File::create(project.path(".bosun/mcp.stderr")).expect("stderr file");
        let mut child = project
            .command(&["mcp"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start bosun mcp");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut mcp = Mcp {
            child,
            stdin,
            lines,
            next: 0,
            init: Value::Null,
        };
        mcp.init = mcp.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "api-mcp-test", "version": "1"}}),
        );
        mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        mcp
    }

    fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").expect("write to bosun mcp");
        stdin.flush().expect("flush");
    }

    /// The whole response to one request. Every line on stdout must be a JSON-RPC message.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let start = Instant::now();
        loop {
            let left = LONG.saturating_sub(start.elapsed());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer to {method} within {LONG:?}"));
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carries a line that is not JSON ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{message}");
            if message["id"] == id {
                return message;
            }
        }
    }

    /// `tools/call`'s result (an error result included); a JSON-RPC error fails the test.
    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        assert!(answer.get("error").is_none(), "{tool}: {answer}");
        answer["result"].clone()
    }

    /// A call that must succeed: its structured content.
    fn ok(&mut self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments);
        assert_eq!(result["isError"], false, "{tool} failed: {result}");
        let text = result["content"][0]["text"].as_str().expect("text content");
        let parsed: Value = serde_json::from_str(text).expect("the text is the JSON");
        assert_eq!(parsed, result["structuredContent"]);
        parsed
    }

    /// A call that must fail as a tool error: its one sentence.
    fn refused(&mut self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments);
        assert_eq!(result["isError"], true, "{tool} did not fail: {result}");
        result["content"][0]["text"]
            .as_str()
            .expect("an error text")
            .to_string()
    }

    /// Closes stdin, as a client that is done does; the server must exit cleanly.
    fn close(mut self) {
        drop(self.stdin.take());
        self.exits_cleanly();
    }

    /// SIGTERM with stdin still open, as a client that stops its servers does.
    fn terminate(mut self) {
        support::signal(self.child.id() as i32, nix::sys::signal::Signal::SIGTERM);
        self.exits_cleanly();
    }

    fn exits_cleanly(&mut self) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                assert!(status.success(), "bosun mcp exited with {status}");
                return;
            }
            assert!(start.elapsed() < LONG, "bosun mcp did not exit at EOF");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Mcp {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The audit records written through MCP.
fn mcp_audit(project: &Project) -> Vec<Value> {
    project
        .read(".bosun/audit.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("an audit record"))
        .filter(|r| r["via"] == "mcp")
        .collect()
}

#[test]
fn the_tools_over_stdio_submit_read_and_refuse_in_plain_sentences() {
    let project = Project::new();
    let mut mcp = Mcp::start(&project);
    assert_eq!(mcp.init["result"]["serverInfo"]["name"], "bosun");
    assert!(mcp.init["result"]["capabilities"]["tools"].is_object());

    let tools = mcp.request("tools/list", json!({}))["result"]["tools"].clone();
    let mut names: Vec<&str> = tools
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "answer_escalation",
            "get_task",
            "list_inbox",
            "list_tasks",
            "submit_task",
            "wait_for_task"
        ]
    );
    let tool = |name: &str| {
        tools
            .as_array()
            .and_then(|all| all.iter().find(|t| t["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no tool {name}"))
    };
    for t in tools.as_array().expect("tools") {
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        assert!(
            t["description"].as_str().is_some_and(|d| d.len() > 40),
            "{t}"
        );
    }
    let submit = tool("submit_task");
    assert_eq!(submit["inputSchema"]["required"], json!(["description"]));
    for field in ["description", "workflow", "inputs", "priority"] {
        assert!(
            submit["inputSchema"]["properties"][field].is_object(),
            "{submit}"
        );
    }
    assert_eq!(
        tool("get_task")["inputSchema"]["required"],
        json!(["task_id"])
    );
    assert_eq!(tool("get_task")["annotations"]["readOnlyHint"], true);
    let answer = tool("answer_escalation");
    assert_eq!(
        answer["inputSchema"]["required"],
        json!(["escalation_id", "choice"])
    );
    let wait = tool("wait_for_task");
    assert!(wait["inputSchema"]["properties"]["timeout_seconds"].is_object());

    // A submission is committed before the answer: the CLI finds it.
    let submitted = mcp.ok(
        "submit_task",
        json!({"description": "echo from-mcp", "priority": "high"}),
    );
    let id = submitted["task_id"].as_str().expect("task_id").to_string();
    assert_eq!(submitted["status"], "queued");
    assert_eq!(submitted["workflow"], "shell");
    assert!(
        submitted["note"]
            .as_str()
            .is_some_and(|n| n.contains("bosun run"))
    );
    let shown = project.show(&id);
    assert_eq!(shown["description"], "echo from-mcp");
    assert_eq!(shown["priority"], "high");

    // get_task is `bosun show --json`, by id or a unique prefix of it.
    assert_eq!(mcp.ok("get_task", json!({"task_id": id})), shown);
    assert_eq!(
        mcp.ok("get_task", json!({"task_id": &id[..5]}))["id"],
        id.as_str()
    );
    let listed = mcp.ok("list_tasks", json!({"status": "queued"}));
    assert_eq!(listed["tasks"][0]["id"], id.as_str());
    assert_eq!(
        mcp.ok("list_tasks", json!({"status": "running"}))["tasks"],
        json!([])
    );
    assert_eq!(mcp.ok("list_inbox", json!({}))["escalations"], json!([]));
    // No engine runs: the wait gives the task as it is when the time is up.
    let waited = mcp.ok(
        "wait_for_task",
        json!({"task_id": id, "timeout_seconds": 0}),
    );
    assert_eq!(waited["status"], "queued");

    // What is wrong is said in a sentence, and the server goes on answering.
    let unknown = mcp.refused("get_task", json!({"task_id": "t-nosuchtask"}));
    assert!(unknown.contains("no task `t-nosuchtask`"), "{unknown}");
    let workflow = mcp.refused(
        "submit_task",
        json!({"description": "x", "workflow": "nope"}),
    );
    assert!(workflow.contains("nope"), "{workflow}");
    let empty = mcp.refused("submit_task", json!({"description": "  "}));
    assert!(empty.contains("description is empty"), "{empty}");
    let shape = mcp.refused("get_task", json!({"id": 3}));
    assert!(shape.contains("task_id"), "{shape}");
    let priority = mcp.refused(
        "submit_task",
        json!({"description": "x", "priority": "urgent"}),
    );
    assert!(priority.contains("urgent"), "{priority}");
    let long = mcp.refused(
        "wait_for_task",
        json!({"task_id": id, "timeout_seconds": 601}),
    );
    assert!(long.contains("at most 600"), "{long}");
    let limit = mcp.refused("list_tasks", json!({"limit": 0}));
    assert!(
        limit.contains("limit must be between 1 and 1000"),
        "{limit}"
    );
    let question = mcp.refused(
        "answer_escalation",
        json!({"escalation_id": "e-none", "choice": "yes"}),
    );
    assert!(question.contains("no question `e-none`"), "{question}");
    let no_tool = mcp.request(
        "tools/call",
        json!({"name": "drop_tables", "arguments": {}}),
    );
    // A tool that does not exist is the protocol's error (invalid params), as MCP says.
    assert_eq!(no_tool["error"]["code"], -32602, "{no_tool}");
    assert_eq!(mcp.request("ping", json!({}))["result"], json!({}));
    assert_eq!(
        mcp.ok("get_task", json!({"task_id": id}))["id"],
        id.as_str()
    );

    mcp.close();
    // Only the change is audited, with where it came from.
    let audit = mcp_audit(&project);
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0]["kind"], "mcp.submit");
    assert_eq!(audit[0]["task_id"], id.as_str());
    assert_eq!(audit[0]["client"], "api-mcp-test");
    // Nothing but the protocol went to stdout (checked line by line); the logs went elsewhere.
    let stderr = project.read(".bosun/mcp.stderr");
    assert!(stderr.contains("MCP server on stdin/stdout"), "{stderr}");
}

#[test]
fn sigterm_stops_the_server_cleanly_with_its_audit_written() {
    let project = Project::new();
    let mut mcp = Mcp::start(&project);
    let submitted = mcp.ok("submit_task", json!({"description": "echo stopped"}));
    mcp.terminate();
    let audit = mcp_audit(&project);
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0]["task_id"], submitted["task_id"]);
    let stderr = project.read(".bosun/mcp.stderr");
    assert!(stderr.contains("SIGTERM: stopping"), "{stderr}");
}

#[test]
fn an_agent_waits_on_a_running_engine_and_answers_its_question() {
    let project = Project::new();
    project.write(
        ".bosun/workflows/ship.yaml",
        r#"
steps:
  - id: ship
    decide: { question: "Push the release?", options: [push, hold], default: hold, risk: high }
  - { id: pushed, if: "steps.ship.choice == 'push'", skill: shell, with: { run: "echo pushed > pushed.ran" } }
"#,
    );
    let _engine = project.start_engine(&[]);
    let mut mcp = Mcp::start(&project);

    let echo = mcp.ok("submit_task", json!({"description": "echo handed-over"}));
    assert!(echo.get("note").is_none(), "an engine runs: {echo}");
    let done = mcp.ok(
        "wait_for_task",
        json!({"task_id": echo["task_id"], "timeout_seconds": 30}),
    );
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(done["steps"][0]["output"], "handed-over\n");

    // A task that stops on a question ends the wait, so the agent can see what it asks.
    let ship = mcp.ok(
        "submit_task",
        json!({"description": "ship it", "workflow": "ship"}),
    );
    let id = ship["task_id"].as_str().expect("task_id").to_string();
    let waiting = mcp.ok(
        "wait_for_task",
        json!({"task_id": id, "timeout_seconds": 30}),
    );
    assert_eq!(waiting["status"], "waiting", "{waiting:#}");
    let inbox = mcp.ok("list_inbox", json!({}))["escalations"].clone();
    assert_eq!(inbox.as_array().map(Vec::len), Some(1), "{inbox:#}");
    let question = &inbox[0];
    assert_eq!(question["task_id"], id.as_str());
    assert_eq!(question["options"], json!(["push", "hold"]));
    // The same list as `bosun inbox --json`.
    assert_eq!(
        agents::inbox(&project),
        inbox.as_array().cloned().unwrap_or_default()
    );

    let qid = question["id"].as_str().expect("escalation id");
    let wrong = mcp.refused(
        "answer_escalation",
        json!({"escalation_id": qid, "choice": "maybe"}),
    );
    assert!(wrong.contains("maybe"), "{wrong}");
    let answered = mcp.ok(
        "answer_escalation",
        json!({"escalation_id": qid, "choice": "push"}),
    );
    assert_eq!(answered["choice"], "push");
    assert_eq!(answered["task_id"], id.as_str());
    let again = mcp.refused(
        "answer_escalation",
        json!({"escalation_id": qid, "choice": "hold"}),
    );
    assert!(again.contains("closed already"), "{again}");

    let shipped = mcp.ok(
        "wait_for_task",
        json!({"task_id": id, "timeout_seconds": 30}),
    );
    assert_eq!(shipped["status"], "succeeded", "{shipped:#}");
    assert_eq!(project.read("pushed.ran"), "pushed\n");
    let decisions = project.bosun(&["decisions", "--task", &id, "--json"]);
    let decisions: Value = serde_json::from_slice(&decisions.stdout).expect("decisions --json");
    assert!(decisions.to_string().contains("push"), "{decisions:#}");

    mcp.close();
    let audit = mcp_audit(&project);
    let kinds: Vec<&str> = audit.iter().filter_map(|r| r["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["mcp.submit", "mcp.submit", "mcp.answer"],
        "{audit:#?}"
    );
    assert_eq!(audit[2]["escalation_id"], qid);
    assert_eq!(audit[2]["choice"], "push");
}

/// The real Claude Code, with Bosun as its only MCP server, hands over `echo handed-over`:
/// its first turn (scripted by the fake model) calls `mcp__bosun__submit_task`.
#[test]
fn claude_code_hands_a_task_to_bosun_over_mcp() {
    let claude = agents::claude();
    let project = Project::new();
    let _engine = project.start_engine(&[]);
    let side = tempfile::tempdir().expect("a directory for claude");
    let fake = FakeModel::start(
        &side.path().join("fake"),
        json!([
            {"tool_use": {"type": "tool_use", "name": "mcp__bosun__submit_task",
                          "input": {"description": "echo handed-over"}}},
            {"match": "tool_result", "text": "done"}
        ]),
    );
    // The server as the CLI starts it for this project, with the test's environment.
    let server = project.command(&["mcp"]);
    let args: Vec<String> = server
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let env: serde_json::Map<String, Value> = server
        .get_envs()
        .filter_map(|(k, v)| {
            Some((
                k.to_string_lossy().into_owned(),
                v?.to_string_lossy().into(),
            ))
        })
        .collect();
    let config = json!({"mcpServers": {"bosun": {
        "command": server.get_program().to_string_lossy(), "args": args, "env": env}}});
    let config_file = side.path().join("mcp.json");
    std::fs::write(&config_file, config.to_string()).expect("mcp config");
    let (home, tmp, work) = (
        side.path().join("home"),
        side.path().join("tmp"),
        side.path().join("work"),
    );
    for dir in [&home, &tmp, &work] {
        std::fs::create_dir_all(dir).expect("dir");
    }

    let mut child = Command::new(&claude)
        .args([
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--setting-sources=",
        ])
        .args(["--strict-mcp-config", "--mcp-config"])
        .arg(&config_file)
        .args([
            "--allowedTools",
            "mcp__bosun__submit_task,mcp__bosun__wait_for_task",
        ])
        .current_dir(&work)
        .env("HOME", &home)
        .env("CLAUDE_CODE_TMPDIR", &tmp)
        .env(
            "ANTHROPIC_BASE_URL",
            format!("http://127.0.0.1:{}", fake.port),
        )
        .env("ANTHROPIC_API_KEY", "fake")
        .env("CLAUDE_CODE_MAX_RETRIES", "2")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start claude");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"Hand `echo handed-over` to Bosun.\n")
        .expect("the prompt");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("claude finished within two minutes")
        .expect("claude ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "claude failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|m| m["type"] == "result")
        .unwrap_or_else(|| panic!("no result line: {stdout}"));
    assert_eq!(result["subtype"], "success", "{result}");

    // The task exists in Bosun, ran, and succeeded.
    let out = project.bosun(&["tasks", "--json"]);
    let tasks: Vec<Value> = serde_json::from_slice(&out.stdout).expect("tasks --json");
    assert_eq!(tasks.len(), 1, "{tasks:#?}");
    let id = tasks[0]["id"].as_str().expect("id").to_string();
    assert_eq!(tasks[0]["description"], "echo handed-over");
    let task = project.wait_finished(&id, LONG);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(task["steps"][0]["output"], "handed-over\n");

    // Claude gave the model the task id back, in the submission's tool_result.
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let last_user = requests[1]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .expect("a user message")
        .to_string();
    assert!(last_user.contains("tool_result"), "{last_user}");
    assert!(
        last_user.contains(&id),
        "the tool_result names {id}: {last_user}"
    );

    let audit = mcp_audit(&project);
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0]["kind"], "mcp.submit");
    assert_eq!(audit[0]["task_id"], id.as_str());
    assert!(
        audit[0]["client"]
            .as_str()
            .is_some_and(|c| c.contains("claude")),
        "{audit:#?}"
    );
}
