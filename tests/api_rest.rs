//! The REST API over real HTTP against a real `bosun run --api`: tokens and roles (the 401 /
//! 403 matrix, forged, expired and revoked tokens), submit and read, an escalation answered,
//! bad input of every kind, a flood past the rate limit — and the engine answering after each.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::Project;
use support::api::Api;

const LONG: Duration = Duration::from_secs(30);

/// A question the engine asks and waits on.
const SHIP: &str = r#"
steps:
  - id: ship
    decide: { question: "Push the release?", options: [push, hold], default: hold, risk: high }
  - { id: pushed, if: "steps.ship.choice == 'push'", skill: shell, with: { run: "echo pushed > pushed.ran" } }
"#;

/// The engine still serves and still runs work.
async fn still_answers(api: &Api) {
    let health = api.get("/health", None).await;
    assert_eq!((health.status, &health.body["status"]), (200, &json!("ok")));
    let id = api.submit("echo still-here").await;
    let task = api
        .wait_for(&id, LONG, |t| t["status"] == "succeeded")
        .await;
    assert_eq!(task["steps"][0]["output"], "still-here\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_submitted_over_http_runs_and_reads_back() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let id = api.submit("echo from-the-api").await;
    let task = api
        .wait_for(&id, LONG, |t| t["status"] == "succeeded")
        .await;
    assert_eq!(task["steps"][0]["output"], "from-the-api\n");
    assert_eq!(task["workflow"], "shell");
    // The CLI sees the same task, and the list has it.
    assert_eq!(project.show(&id)["status"], "succeeded");
    let list = api
        .get("/api/tasks?status=succeeded&limit=5", Some(&api.readonly))
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body[0]["id"], id.as_str());
    // A unique prefix of the id will do, as on the command line.
    let short = api
        .get(&format!("/api/tasks/{}", &id[..6]), Some(&api.readonly))
        .await;
    assert_eq!(short.body["id"], id.as_str());
    // The session counts it.
    let session = api.get("/api/state/session", Some(&api.readonly)).await;
    assert_eq!(session.body["tasks"]["succeeded"], 1);
    assert_eq!(session.body["health"]["sqlite"], "ok");
    // Every change over the API is in the audit log, with the token and its role.
    let audit = project.wait_audit("api.submit", |_| true);
    assert_eq!(audit["task_id"], id.as_str());
    assert_eq!(audit["role"], "user");
    assert!(
        audit["token_id"]
            .as_str()
            .is_some_and(|t| t.starts_with("tok-"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_do_what_the_contract_says_and_no_more() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let submit = r#"{"description": "echo matrix"}"#;
    let token = r#"{"role": "readonly", "ttl": "1h"}"#;
    // (method, path, body) → the status for no token, readonly, user, admin.
    let matrix: &[(&str, &str, &str, [u16; 4])] = &[
        ("GET", "/health", "", [200, 200, 200, 200]),
        ("GET", "/api/tasks", "", [401, 200, 200, 200]),
        ("GET", "/api/inbox", "", [401, 200, 200, 200]),
        ("GET", "/api/decisions", "", [401, 200, 200, 200]),
        ("GET", "/api/state/session", "", [401, 200, 200, 200]),
        ("GET", "/metrics", "", [401, 200, 200, 200]),
        ("GET", "/api/openapi.json", "", [401, 200, 200, 200]),
        ("POST", "/api/tasks", submit, [401, 403, 202, 202]),
        ("GET", "/api/tokens", "", [401, 403, 403, 200]),
        ("POST", "/api/tokens", token, [401, 403, 403, 201]),
    ];
    let tokens = [None, Some(&api.readonly), Some(&api.user), Some(&api.admin)];
    for (method, path, body, want) in matrix {
        for (token, want) in tokens.iter().zip(want) {
            let token = token.map(String::as_str);
            let r = match *method {
                "GET" => api.get(path, token).await,
                _ => api.post(path, token, body).await,
            };
            assert_eq!(
                r.status, *want,
                "{method} {path} with {token:?}: {:?}",
                r.body
            );
            if r.status == 401 {
                assert_eq!(r.headers["www-authenticate"], "Bearer");
                assert!(
                    r.body["error"]
                        .as_str()
                        .is_some_and(|e| e.contains("token"))
                );
            }
            if r.status == 403 {
                assert!(
                    r.body["error"]
                        .as_str()
                        .is_some_and(|e| e.contains("may not"))
                );
            }
        }
    }
    still_answers(&api).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_and_revoked_tokens_are_refused() {
    let project = Project::new();
    // A token another project signed: right shape, wrong key.
    let elsewhere = Project::new().token("admin");
    let short = {
        let out = project.bosun(&["token", "create", "--role", "admin", "--ttl", "1s"]);
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let api = project.start_api(&[]);
    let refused = |r: &support::api::Reply, why: &str| {
        assert_eq!(r.status, 401, "{:?}", r.body);
        let error = r.body["error"].as_str().unwrap_or_default();
        assert!(error.contains(why), "{error}");
    };
    refused(&api.get("/api/tasks", Some(&elsewhere)).await, "signature");
    // Raising one's own role in the payload breaks the signature.
    let parts: Vec<&str> = api.readonly.split('.').collect();
    let payload = String::from_utf8(base64_url(parts[1])).unwrap();
    let raised = payload.replace("\"readonly\"", "\"admin\"");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64_url_encode(raised.as_bytes()),
        parts[2]
    );
    refused(&api.get("/api/tokens", Some(&forged)).await, "signature");
    refused(
        &api.get("/api/tasks", Some("garbage")).await,
        "not a Bosun token",
    );
    // An unsigned token (`alg: none`) is not even read.
    let none = format!("{}.{}.", base64_url_encode(br#"{"alg":"none"}"#), parts[1]);
    refused(
        &api.get("/api/tasks", Some(&none)).await,
        "not a Bosun token",
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    refused(&api.get("/api/tasks", Some(&short)).await, "expired");

    // Revoked from the command line while the engine runs: refused from then on.
    let victim = project.token("user");
    assert_eq!(api.get("/api/tasks", Some(&victim)).await.status, 200);
    let list: Value =
        serde_json::from_slice(&project.bosun(&["token", "list", "--json"]).stdout).unwrap();
    // Newest first: the victim's.
    assert_eq!(list[0]["role"], "user");
    let user_id = list[0]["id"].as_str().unwrap().to_string();
    let out = project.bosun(&["token", "revoke", &user_id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let start = std::time::Instant::now();
    loop {
        let r = api.get("/api/tasks", Some(&victim)).await;
        if r.status == 401 {
            assert!(r.body["error"].as_str().unwrap().contains("revoked"));
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "still accepted: {:?}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // An admin revokes over the API too; twice is a conflict.
    let path = format!("/api/tokens/{user_id}/revoke");
    assert_eq!(api.post(&path, Some(&api.admin), "").await.status, 409);
    assert_eq!(
        api.post("/api/tokens/tok-nope/revoke", Some(&api.admin), "")
            .await
            .status,
        404
    );
    let made = api
        .post(
            "/api/tokens",
            Some(&api.admin),
            r#"{"role": "user", "name": "phone"}"#,
        )
        .await;
    assert_eq!(made.status, 201);
    let fresh = made.body["token"].as_str().unwrap().to_string();
    assert_eq!(api.get("/api/tasks", Some(&fresh)).await.status, 200);
    let id = made.body["id"].as_str().unwrap();
    let revoked = api
        .post(&format!("/api/tokens/{id}/revoke"), Some(&api.admin), "")
        .await;
    assert_eq!(revoked.status, 200);
    assert_eq!(api.get("/api/tasks", Some(&fresh)).await.status, 401);
    still_answers(&api).await;
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

fn base64_url_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_is_answered_over_http() {
    let project = Project::new();
    project.write(".bosun/workflows/ship.yaml", SHIP);
    let api = project.start_api(&[]);
    let body = json!({"description": "release", "workflow_id": "ship", "priority": "high"});
    let r = api
        .post("/api/tasks", Some(&api.user), &body.to_string())
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    let task = r.body["task_id"].as_str().unwrap().to_string();
    let start = std::time::Instant::now();
    let question = loop {
        let inbox = api.get("/api/inbox", Some(&api.readonly)).await;
        if let Some(q) = inbox.body.as_array().and_then(|a| a.first()) {
            break q.clone();
        }
        assert!(start.elapsed() < LONG, "no question came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(question["task_id"], task.as_str());
    assert_eq!(question["options"], json!(["push", "hold"]));
    let id = question["id"].as_str().unwrap();
    let path = format!("/api/escalations/{id}/answer");
    // Not one of its options; a readonly token; a question that does not exist.
    let wrong = api
        .post(&path, Some(&api.user), r#"{"choice": "ship-it"}"#)
        .await;
    assert_eq!(wrong.status, 422, "{:?}", wrong.body);
    let readonly = api
        .post(&path, Some(&api.readonly), r#"{"choice": "push"}"#)
        .await;
    assert_eq!(readonly.status, 403);
    let unknown = api
        .post(
            "/api/escalations/e-nope/answer",
            Some(&api.user),
            r#"{"choice": "push"}"#,
        )
        .await;
    assert_eq!(unknown.status, 404);

    let answered = api
        .post(&path, Some(&api.user), r#"{"choice": "push"}"#)
        .await;
    assert_eq!(answered.status, 200, "{:?}", answered.body);
    assert_eq!(answered.body["choice"], "push");
    let done = api
        .wait_for(&task, LONG, |t| t["status"] == "succeeded")
        .await;
    assert_eq!(project.read("pushed.ran"), "pushed\n");
    assert!(
        done["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["choice"] == "push")
    );
    // Answering again is a conflict; the ledger says the user decided.
    let again = api
        .post(&path, Some(&api.user), r#"{"choice": "hold"}"#)
        .await;
    assert_eq!(again.status, 409);
    let ledger = api
        .get(&format!("/api/decisions?task={task}"), Some(&api.readonly))
        .await;
    let decision = ledger
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["step_id"] == "ship")
        .cloned()
        .unwrap();
    assert_eq!(
        (&decision["choice"], &decision["decided_by"]),
        (&json!("push"), &json!("user"))
    );
    let audit = project.wait_audit("api.answer", |_| true);
    assert_eq!(
        (&audit["choice"], &audit["role"]),
        (&json!("push"), &json!("user"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_json_errors_and_the_engine_goes_on() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let user = Some(api.user.as_str());
    let cases: &[(&str, u16, &str)] = &[
        ("{\"description\": ", 400, "not JSON"),
        ("[1, 2", 400, "not JSON"),
        ("{\"description\": \"x\"} trailing", 400, "not JSON"),
        ("{}", 422, "description"),
        ("{\"description\": 42}", 422, "description"),
        ("{\"description\": \"  \"}", 422, "empty"),
        (
            "{\"description\": \"x\", \"priority\": \"urgent\"}",
            422,
            "priority",
        ),
        (
            "{\"description\": \"x\", \"colour\": \"red\"}",
            422,
            "colour",
        ),
        (
            "{\"description\": \"x\", \"workflow_id\": \"no-such\"}",
            422,
            "no-such",
        ),
    ];
    for (body, status, says) in cases {
        let r = api.post("/api/tasks", user, body).await;
        assert_eq!(r.status, *status, "{body}: {:?}", r.body);
        let error = r.body["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{body}: {error}");
    }
    // Past the body limit (1 MiB).
    let huge = json!({"description": "x".repeat(2 << 20)}).to_string();
    let r = api.post("/api/tasks", user, &huge).await;
    assert_eq!(r.status, 413, "{:?}", r.body);
    assert!(r.body["error"].as_str().unwrap().contains("larger"));
    // Unknown ids and routes; a bad filter.
    assert_eq!(api.get("/api/tasks/t-nope", user).await.status, 404);
    assert_eq!(
        api.post("/api/tasks/t-nope/cancel", user, "").await.status,
        404
    );
    assert_eq!(api.get("/api/nothing-here", user).await.status, 404);
    let r = api.get("/api/tasks?status=bogus", user).await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(api.get("/api/tasks?limit=0", user).await.status, 422);
    // Cancelling a finished task is a conflict.
    let id = api.submit("echo done-already").await;
    api.wait_for(&id, LONG, |t| t["status"] == "succeeded")
        .await;
    let r = api.post(&format!("/api/tasks/{id}/cancel"), user, "").await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    still_answers(&api).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_task_is_cancelled_over_http() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let id = api.submit("sleep 30").await;
    api.wait_for(&id, LONG, |t| t["status"] == "running").await;
    let r = api
        .post(&format!("/api/tasks/{id}/cancel"), Some(&api.user), "")
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    assert_eq!(r.body["status"], "cancelling");
    api.wait_for(&id, LONG, |t| t["status"] == "cancelled")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_past_the_rate_limit_is_refused_for_that_client_only() {
    let project = Project::new();
    project.write(
        ".bosun/config.yaml",
        "api:\n  rate_limit: 20\n  burst: 40\n",
    );
    let api = project.start_api(&[]);
    let mut refused = None;
    for _ in 0..200 {
        let r = api.get("/api/tasks?limit=1", Some(&api.readonly)).await;
        if r.status == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status, 200);
    }
    let refused = refused.expect("200 requests at once were never refused");
    assert!(
        refused.body["error"]
            .as_str()
            .unwrap()
            .contains("20 requests a second")
    );
    assert!(refused.headers.contains_key("retry-after"));
    // Another client (another token) is not held back by the first one's flood.
    assert_eq!(
        api.get("/api/tasks?limit=1", Some(&api.user)).await.status,
        200
    );
    // And the first gets in again once it slowed down.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        api.get("/api/tasks?limit=1", Some(&api.readonly))
            .await
            .status,
        200
    );
    still_answers(&api).await;
}
