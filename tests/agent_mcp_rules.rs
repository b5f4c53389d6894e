//! An MCP server's tool, called by the real `claude` CLI in a step of `bosun run`, is judged
//! by its name: a `tool:` rule of `.bosun/policy.yaml` lets it run or refuses it, and the
//! decision is recorded as that rule's. The server is a small MCP stdio server (below) that
//! writes a file when its tool is called; Bosun's user passes it with `--mcp-config`.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::Project;
use support::agents::{FakeModel, agent_workflow, configure_claude};

/// An MCP server over stdio with one tool, `note`, which writes its text to `noted.txt`.
const SERVER: &str = r#"
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if "id" not in msg:
        continue
    method, result = msg.get("method"), None
    if method == "initialize":
        result = {"protocolVersion": msg["params"]["protocolVersion"],
                  "capabilities": {"tools": {}}, "serverInfo": {"name": "notes", "version": "1"}}
    elif method == "tools/list":
        result = {"tools": [{"name": "note", "description": "Write a note",
                             "inputSchema": {"type": "object",
                                             "properties": {"text": {"type": "string"}}}}]}
    elif method == "tools/call":
        open("noted.txt", "w").write(msg["params"]["arguments"].get("text", ""))
        result = {"content": [{"type": "text", "text": "noted"}]}
    reply = {"jsonrpc": "2.0", "id": msg["id"]}
    if result is None:
        reply["error"] = {"code": -32601, "message": "unknown method"}
    else:
        reply["result"] = result
    print(json.dumps(reply), flush=True)
"#;

/// Runs one `claude` step whose model calls the `note` tool under `policy`; the task, its
/// step and the decisions recorded.
fn run(policy: &str, answer: &str) -> (Project, Value, Vec<Value>) {
    let project = Project::new();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            { "tool_use": [{ "type": "tool_use", "id": "toolu_note1", "name": "mcp__notes__note",
                             "input": { "text": "hello" } }] },
            { "match": "tool_result", "text": answer }
        ]),
    );
    project.write(".mcp-server.py", SERVER);
    let mcp = json!({ "mcpServers": { "notes": {
        "command": "python3", "args": [project.path(".mcp-server.py")] } } });
    project.write(".notes-mcp.json", &mcp.to_string());
    let args = format!(
        "    args: [\"--mcp-config\", {:?}]\n",
        project.path(".notes-mcp.json").display().to_string()
    );
    configure_claude(&project, &fake, None, "");
    // The args go under `agents.claude-code`, before the `env` block ends the file.
    let config =
        project
            .read(".bosun/config.yaml")
            .replacen("    env:\n", &format!("{args}    env:\n"), 1);
    project.write(".bosun/config.yaml", &config);
    project.write(".bosun/policy.yaml", policy);
    agent_workflow(&project, "write a note");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "note"]);
    let task = project.wait_finished(&id, Duration::from_secs(90));
    drop(engine);
    let out = project.bosun(&["decisions", "--task", &id, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decisions = serde_json::from_slice(&out.stdout).expect("decisions JSON");
    (project, task, decisions)
}

fn by(decisions: &[Value], rule: &str) -> Vec<String> {
    decisions
        .iter()
        .filter(|d| d["decided_by"] == rule)
        .map(|d| {
            format!(
                "{} {}",
                d["choice"].as_str().unwrap_or(""),
                d["question"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn a_rule_naming_an_mcp_tool_lets_it_run() {
    let (project, task, decisions) = run(
        "rules:\n  - id: notes\n    match: { tool: \"mcp__notes__*\" }\n    action: allow\n",
        "noted it",
    );
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(project.read("noted.txt"), "hello");
    assert_eq!(Project::step(&task, "work")["output"], "noted it");
    let allowed = by(&decisions, "rule:notes");
    assert!(
        allowed
            .iter()
            .any(|d| d.starts_with("allow ") && d.contains("mcp__notes__note")),
        "{decisions:#?}"
    );
}

#[test]
fn a_rule_denying_an_mcp_tool_keeps_it_from_running() {
    let (project, task, decisions) = run(
        "rules:\n  - id: no-notes\n    reason: no notes today\n    match: { tool: \"mcp__notes__note\" }\n    action: deny\n",
        "could not",
    );
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert!(!project.path("noted.txt").exists(), "the denied tool ran");
    assert_eq!(
        Project::step(&task, "work")["agent"]["denied"],
        1,
        "{task:#}"
    );
    let denied = by(&decisions, "rule:no-notes");
    assert_eq!(denied.len(), 1, "{decisions:#?}");
    assert!(denied[0].starts_with("deny "), "{denied:?}");
}
