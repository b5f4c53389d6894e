//! Agents' tool calls through the real policy, read as the command lines that do the same:
//! the floor and the project boundary hold for a file edit as for a step's command, a secret's
//! read is asked about, and what cannot be read is asked about.

use std::collections::BTreeMap;

use bosun::agents::{Access, access};
use bosun::policy::{Outcome, Policy, Query};
use bosun::protocol::{DecisionKind, Risk};
use serde_json::json;

fn outcome(project: &std::path::Path, tool: &str, input: serde_json::Value) -> Outcome {
    let policy = Policy::builtin().expect("built-in rules");
    let scope = policy.scope(project, project, BTreeMap::new());
    let query = Query {
        kind: DecisionKind::Command,
        skill: "claude",
        workflow: Some("fix"),
        step: Some("agent"),
        risk: Risk::Medium,
    };
    match access(tool, &input) {
        Access::Command(argv) => policy.check_command(&argv, &scope, &query).verdict.outcome,
        Access::Ask(_) => Outcome::Escalate,
        Access::Inert => Outcome::Allow,
    }
}

#[test]
fn tool_calls_meet_the_same_policy_as_commands() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let project = dir.path().canonicalize().expect("canonical");
    std::fs::create_dir_all(project.join("src")).expect("src");
    std::fs::write(project.join("src/lib.rs"), "").expect("file");
    std::fs::write(project.join(".env"), "KEY=1").expect("secret");
    let p = project.as_path();

    assert_eq!(
        outcome(p, "Bash", json!({ "command": "ls -la" })),
        Outcome::Allow
    );
    assert_eq!(
        outcome(p, "Edit", json!({ "file_path": "src/lib.rs" })),
        Outcome::Allow
    );
    assert_eq!(
        outcome(p, "Read", json!({ "file_path": "src/lib.rs" })),
        Outcome::Allow
    );
    assert_eq!(
        outcome(p, "Write", json!({ "file_path": "/etc/passwd" })),
        Outcome::Deny
    );
    assert_eq!(
        outcome(p, "Bash", json!({ "command": "rm -rf /" })),
        Outcome::Deny
    );
    assert_eq!(
        outcome(p, "Read", json!({ "file_path": ".env" })),
        Outcome::Escalate
    );
    // A fetch is judged as the download it is, whatever the policy says of `curl URL`.
    assert_eq!(
        outcome(p, "WebFetch", json!({ "url": "https://example.com" })),
        outcome(
            p,
            "Bash",
            json!({ "command": "curl -sS -- https://example.com" })
        )
    );
    assert_eq!(
        outcome(p, "WebSearch", json!({ "query": "x" })),
        Outcome::Escalate
    );
    assert_eq!(outcome(p, "mcp__db__drop", json!({})), Outcome::Escalate);
    // A Codex patch is judged on every file it touches, not only the first.
    let patch =
        |second: &str| json!({ "file_path": "src/lib.rs", "files": ["src/lib.rs", second] });
    assert_eq!(outcome(p, "Edit", patch("src/main.rs")), Outcome::Allow);
    assert_eq!(outcome(p, "Edit", patch("/etc/passwd")), Outcome::Deny);
    assert_eq!(
        outcome(p, "WriteStdin", json!({ "chars": "y" })),
        Outcome::Escalate
    );
}
