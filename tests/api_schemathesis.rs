//! schemathesis (from PyPI, `.ci/install-schemathesis`) against the OpenAPI document a real
//! `bosun run --api` serves: every operation is called with generated requests, valid and not,
//! and every answer is checked against what the document says (status, content type, headers,
//! body schema), that none is a server error, that invalid input is refused, that a missing
//! token is. After it the engine still answers and still runs a task.
//!
//! Checks: all of schemathesis' but these, which cannot hold:
//! - `positive_data_acceptance` for `submit_task`, `create_token` and `answer_escalation`: a
//!   schema cannot say which commands are on PATH or which workflows exist, which durations
//!   are long enough (`ttl`), or which choices a question offers; those answers are 422s that
//!   the document lists.
//! - `/ws` is left out: schemathesis does not speak WebSocket (it is documented, as a 101).
//! - `revoke_token` runs apart, with a token of its own: listing the tokens gives the id of the
//!   token the run uses, and revoking it would turn the rest of the run into 401s.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::Project;
use support::api::Api;

/// A workflow whose first step asks the user, so the inbox has a question to answer.
const ASKING: &str = r#"
steps:
  - id: ship
    decide: { question: "Push the release?", options: [push, hold], default: hold, risk: high }
  - { id: pushed, if: "steps.ship.choice == 'push'", skill: shell, with: { run: "echo pushed" } }
"#;

/// Test cases per operation and phase: enough to find what is wrong, few enough for well
/// under two minutes on two cores.
const EXAMPLES: &str = "40";

/// schemathesis' `st`: `BOSUN_TEST_SCHEMATHESIS`, else the venv `.ci/install-schemathesis` makes.
fn schemathesis() -> PathBuf {
    let st = match std::env::var_os("BOSUN_TEST_SCHEMATHESIS") {
        Some(path) => PathBuf::from(path),
        None => {
            let venv = std::env::var_os("BOSUN_PY_CACHE")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/bosun-py"))
                })
                .expect("HOME or BOSUN_PY_CACHE");
            venv.join("bin/st")
        }
    };
    assert!(
        st.is_file(),
        "schemathesis is not installed ({} is missing): run `bash .ci/install-schemathesis`, \
         which prints the path of `st` (set BOSUN_TEST_SCHEMATHESIS to it if it is elsewhere)",
        st.display()
    );
    st
}

/// Runs `st run` against the served document with `token`; panics with its report unless it
/// found nothing.
async fn run_schemathesis(st: &PathBuf, api: &Api, token: &str, config: &str, extra: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_file = dir.path().join("schemathesis.toml");
    std::fs::write(&config_file, config).expect("schemathesis.toml");
    let mut cmd = Command::new(st);
    cmd.current_dir(dir.path())
        .arg("--config-file")
        .arg(&config_file)
        .arg("--no-color")
        .arg("run")
        .arg(api.url("/api/openapi.json"))
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["--max-examples", EXAMPLES])
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "10"])
        .args(extra);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("run st");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems ({:?}, {:?}):\n{report}\n{}",
        out.status,
        started.elapsed(),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("schemathesis passed in {:?}:\n{report}", started.elapsed());
}

/// Waits (bounded) for an open question and gives its id.
async fn open_question(api: &Api) -> String {
    let start = Instant::now();
    loop {
        let inbox = api.get("/api/inbox", Some(&api.readonly)).await;
        if let Some(id) = inbox.body[0]["id"].as_str() {
            return id.to_string();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no question: {:?}",
            inbox.body
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_the_api_as_its_document_says() {
    let st = schemathesis();
    let project = Project::new();
    // A rate limit so generous that schemathesis is not throttled (429 is documented, but
    // would hide the answers it came for); room for the tasks it submits that wait on a
    // question, so the last task here does not queue behind them.
    project.write(
        ".bosun/config.yaml",
        "api:\n  rate_limit: 100000\n  burst: 100000\nengine:\n  max_concurrent_workflows: 200\n",
    );
    project.write(".bosun/workflows/ship.yaml", ASKING);
    let api = project.start_api(&[]);

    // Something for the operations on one id to find, so that they answer 200 (and their
    // schemas are checked) rather than 404 throughout.
    let done = api.submit("echo before-schemathesis").await;
    api.wait_for(&done, Duration::from_secs(20), |t| {
        t["status"] == "succeeded"
    })
    .await;
    let body = r#"{"description": "ship it", "workflow_id": "ship"}"#;
    let asking = api.post("/api/tasks", Some(&api.user), body).await;
    assert_eq!(asking.status, 202, "{:?}", asking.body);
    let question = open_question(&api).await;

    let config = format!(
        r#"
# Every check is on (the default); these answers depend on more than a schema can say.
[[operations]]
include-operation-id = ["submit_task", "create_token", "answer_escalation"]
checks.positive_data_acceptance.enabled = false

# A finished task: read (200), and cancelled (409, nothing to cancel).
[[operations]]
include-operation-id = ["get_task", "cancel_task"]
parameters = {{ id = "{done}" }}

[[operations]]
include-operation-id = "answer_escalation"
parameters = {{ id = "{question}" }}
"#
    );
    run_schemathesis(
        &st,
        &api,
        &api.admin,
        &config,
        &[
            "--exclude-path",
            "/ws",
            "--exclude-operation-id",
            "revoke_token",
        ],
    )
    .await;
    // Tokens made and revoked, with an admin token of its own.
    let admin = project.token("admin");
    run_schemathesis(
        &st,
        &api,
        &admin,
        &config,
        &[
            "--include-operation-id",
            "create_token",
            "--include-operation-id",
            "revoke_token",
        ],
    )
    .await;

    // The engine came through it: it answers, and runs a task.
    let health = api.get("/health", None).await;
    assert_eq!(health.status, 200, "{:?}", health.body);
    assert_eq!(health.body["status"], "ok");
    let id = api.submit("echo after-schemathesis").await;
    let task = api
        .wait_for(&id, Duration::from_secs(30), |t| t["status"] == "succeeded")
        .await;
    assert_eq!(task["steps"][0]["output"], "after-schemathesis\n");
}
