//! The WebSocket `/ws` over a real connection (tokio-tungstenite) to a real `bosun run --api`:
//! a task's events in `seq` order, `state.updated`, a reconnect with `?since=` that gets
//! exactly what was missed, tokens and roles, an escalation answered over the socket, a client
//! too slow to keep up cut off with a reason while another keeps receiving, bad messages
//! answered with errors, and the close frame when the server stops.

mod support;

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::{Value, json};
use support::Project;
use support::ws::*;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A question the engine asks and waits on.
const SHIP: &str = r#"
steps:
  - id: ship
    decide: { question: "Push the release?", options: [push, hold], default: hold, risk: high }
  - { id: pushed, if: "steps.ship.choice == 'push'", skill: shell, with: { run: "echo pushed > pushed.ran" } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tasks_events_arrive_in_seq_order_from_submitted_to_completed() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let mut watcher = connect(&api, &format!("token={}", api.readonly)).await;
    // On connect, the session as it is.
    let hello = next(&mut watcher).await;
    assert_eq!(hello["event"], "state.updated", "{hello}");
    assert!(hello.get("seq").is_none());
    assert_eq!(hello["payload"]["health"]["sqlite"], "ok");

    let id = api.submit("echo over-the-socket").await;
    let got = until(&mut watcher, is("task.completed", &id)).await;
    let events: Vec<&Value> = got.iter().filter(|m| m.get("seq").is_some()).collect();
    let names: Vec<&str> = events
        .iter()
        .map(|m| m["event"].as_str().unwrap())
        .collect();
    assert_eq!(names[..2], ["task.submitted", "task.started"], "{got:#?}");
    assert_eq!(names.last(), Some(&"task.completed"));
    assert!(
        names[2..names.len() - 1]
            .iter()
            .all(|n| *n == "task.progress"),
        "{names:?}"
    );
    let types: Vec<&str> = events
        .iter()
        .map(|m| m["payload"]["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"step_started") && types.contains(&"step_finished"));
    assert_contiguous(&seqs(&got));
    for event in &events {
        assert_eq!(event["payload"]["task_id"], id.as_str());
        assert!(
            event["timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
    }
    // Then the session again, counting the task.
    let after = until(&mut watcher, |m| m["event"] == "state.updated").await;
    assert_eq!(after.last().unwrap()["payload"]["tasks"]["succeeded"], 1);

    // Submitted over the socket itself: the reply, then the same events to every client.
    let mut user = connect(&api, &format!("token={}", api.user)).await;
    next(&mut user).await;
    send(
        &mut user,
        json!({"event": "task.submit", "payload": {"description": "echo from-ws", "priority": "high"}}),
    )
    .await;
    // The only task running: the first completion is this one.
    let got = until(&mut user, |m| m["event"] == "task.completed").await;
    let reply = got
        .iter()
        .find(|m| m["event"] == "task.submit.ok")
        .unwrap_or_else(|| panic!("no reply: {got:#?}"));
    assert!(reply.get("seq").is_none());
    assert_eq!(reply["payload"]["status"], "queued");
    let second = reply["payload"]["task_id"].as_str().unwrap().to_string();
    assert!(got.iter().any(is("task.submitted", &second)), "{got:#?}");
    assert!(got.iter().any(is("task.completed", &second)), "{got:#?}");
    let seen = until(&mut watcher, is("task.completed", &second)).await;
    assert!(seen.iter().any(is("task.submitted", &second)), "{seen:#?}");
    let task = api
        .wait_for(&second, LONG, |t| t["status"] == "succeeded")
        .await;
    assert_eq!(task["steps"][0]["output"], "from-ws\n");
    let audit = project.wait_audit("api.submit", |r| r["task_id"] == second.as_str());
    assert_eq!(audit["role"], "user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reconnects_with_since_gets_exactly_what_it_missed() {
    let project = Project::new();
    let api = project.start_api(&[]);
    // Connected all along: the reference.
    let mut steady = connect(&api, &format!("token={}", api.readonly)).await;
    next(&mut steady).await;
    let mut leaving = connect(&api, &format!("token={}", api.readonly)).await;
    next(&mut leaving).await;
    let first = api.submit("echo one").await;
    let got = until(&mut leaving, is("task.completed", &first)).await;
    let last = *seqs(&got).last().expect("events");
    drop(leaving);

    // Missed while away: two tasks that finish, and more submitted while it reconnects.
    let mut ids = Vec::new();
    for n in 0..2 {
        ids.push(api.submit(&format!("echo missed-{n}")).await);
    }
    for id in &ids {
        api.wait_for(id, LONG, |t| t["status"] == "succeeded").await;
    }
    let submitter = {
        let (addr, user) = (api.addr.clone(), api.user.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut ids = Vec::new();
            for n in 0..5 {
                let r = client
                    .post(format!("http://{addr}/api/tasks"))
                    .bearer_auth(&user)
                    .json(&json!({"description": format!("echo during-{n}")}))
                    .send()
                    .await
                    .expect("submit");
                let body: Value = r.json().await.expect("JSON");
                ids.push(body["task_id"].as_str().expect("task_id").to_string());
            }
            ids
        })
    };
    let mut back = connect(&api, &format!("token={}&since={last}", api.readonly)).await;
    let during = submitter.await.expect("submitter");
    let final_id = during.last().unwrap().clone();
    let replayed = until(&mut back, is("task.completed", &final_id)).await;
    let seen = until(&mut steady, is("task.completed", &final_id)).await;

    let got = seqs(&replayed);
    assert_eq!(
        got.first(),
        Some(&(last + 1)),
        "the replay starts after since"
    );
    assert_contiguous(&got);
    // Exactly what the client connected all along saw after `last`: none lost, none twice.
    let reference: Vec<i64> = seqs(&seen).into_iter().filter(|s| *s > last).collect();
    assert_eq!(got, reference);
    for id in ids.iter().chain(&during) {
        assert!(
            replayed.iter().any(is("task.completed", id)),
            "{id} missing"
        );
    }
    // `state.updated` comes once the replay is done, before anything live.
    assert!(replayed.iter().any(|m| m["event"] == "state.updated"));

    // since=0 is the whole log, from the first event.
    let mut all = connect(&api, &format!("token={}&since=0", api.readonly)).await;
    let everything = until(&mut all, is("task.completed", &final_id)).await;
    assert_eq!(seqs(&everything).first(), Some(&1));
    assert_contiguous(&seqs(&everything));

    // An event another process commits, with nothing from the engine after it, arrives too.
    let failed = api.submit("false").await;
    let fails = until(&mut all, is("task.failed", &failed)).await;
    let out = project.bosun(&["dismiss", &failed]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = until(&mut all, |m| m["payload"]["type"] == "task_dismissed").await;
    assert_eq!(got.last().unwrap()["event"], "task.progress");
    assert_contiguous(&seqs(&[everything, fails, got].concat()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_needed_and_a_readonly_one_may_watch_but_not_submit() {
    let project = Project::new();
    let api = project.start_api(&[]);
    assert_eq!(refused(&api.ws_url("")).await, 401);
    let forged = format!("{}x", api.readonly);
    assert_eq!(refused(&api.ws_url(&format!("token={forged}"))).await, 401);
    assert_eq!(refused(&api.ws_url("token=not-a-token")).await, 401);
    assert_eq!(
        refused(&api.ws_url(&format!("token={}&since=ten", api.readonly))).await,
        400
    );

    // A bearer header does as well as `?token=`.
    let mut request = api.ws_url("").into_client_request().expect("request");
    let bearer = format!("Bearer {}", api.readonly);
    (request.headers_mut()).insert("authorization", bearer.parse().expect("header"));
    let (mut readonly, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("a bearer header is accepted");
    assert_eq!(next(&mut readonly).await["event"], "state.updated");
    let denied = ask(
        &mut readonly,
        json!({"event": "task.submit", "payload": {"description": "echo nope"}}),
    )
    .await;
    assert_eq!(denied["event"], "error");
    assert_eq!(denied["payload"]["status"], 403, "{denied}");
    assert!(
        denied["payload"]["error"]
            .as_str()
            .unwrap()
            .contains("needs a user token")
    );
    let cancel = ask(
        &mut readonly,
        json!({"event": "task.cancel", "payload": {"task_id": "t-nope"}}),
    )
    .await;
    assert_eq!(cancel["payload"]["status"], 403);
    // It still watches: a task submitted by someone else reaches it.
    let id = api.submit("echo watched").await;
    until(&mut readonly, is("task.completed", &id)).await;
    let tasks = api.get("/api/tasks", Some(&api.readonly)).await;
    assert_eq!(tasks.body.as_array().map(Vec::len), Some(1));

    // A token revoked while its socket is open: the socket is closed, saying why.
    let made = (api.post("/api/tokens", Some(&api.admin), r#"{"role": "user"}"#)).await;
    let mut doomed = connect(
        &api,
        &format!("token={}", made.body["token"].as_str().unwrap()),
    )
    .await;
    next(&mut doomed).await;
    let path = format!("/api/tokens/{}/revoke", made.body["id"].as_str().unwrap());
    assert_eq!(api.post(&path, Some(&api.admin), "").await.status, 200);
    let Got::Closed(Some(frame)) = receive(&mut doomed).await else {
        panic!("the socket of a revoked token stayed open");
    };
    assert_eq!(u16::from(frame.code), 4401);
    assert!(frame.reason.contains("revoked"), "{frame:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_is_answered_over_the_socket() {
    let project = Project::new();
    project.write(".bosun/workflows/ship.yaml", SHIP);
    let api = project.start_api(&[]);
    let mut socket = connect(&api, &format!("token={}", api.user)).await;
    next(&mut socket).await;
    send(
        &mut socket,
        json!({"event": "task.submit", "payload": {"description": "release", "workflow_id": "ship"}}),
    )
    .await;
    let got = until(&mut socket, |m| m["event"] == "escalation.required").await;
    let question = got.last().unwrap();
    let task = question["payload"]["task_id"].as_str().unwrap().to_string();
    let escalation = question["payload"]["escalation_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(question["payload"]["type"], "escalation_opened");
    // The session counts the open question.
    let state = until(&mut socket, |m| m["event"] == "state.updated").await;
    assert_eq!(state.last().unwrap()["payload"]["open_escalations"], 1);

    let wrong = ask(
        &mut socket,
        json!({"event": "escalation.response", "payload": {"escalation_id": escalation, "choice": "ship-it"}}),
    )
    .await;
    assert_eq!(wrong["payload"]["status"], 422, "{wrong}");
    send(
        &mut socket,
        json!({"event": "escalation.response", "payload": {"escalation_id": escalation, "choice": "push", "remember": null}}),
    )
    .await;
    let got = until(&mut socket, is("task.completed", &task)).await;
    let ok = got
        .iter()
        .find(|m| m["event"] == "escalation.response.ok")
        .unwrap_or_else(|| panic!("no reply: {got:#?}"));
    assert_eq!(ok["payload"]["choice"], "push");
    let resolved = got
        .iter()
        .find(|m| m["event"] == "escalation.resolved")
        .expect("escalation.resolved");
    assert_eq!(resolved["payload"]["choice"], "push");
    assert_eq!(resolved["payload"]["decided_by"], "user");
    let state = until(&mut socket, |m| m["event"] == "state.updated").await;
    let state = &state.last().unwrap()["payload"];
    assert_eq!(state["open_escalations"], 0, "{state}");
    assert_eq!(project.read("pushed.ran"), "pushed\n");
    let audit = project.wait_audit("api.answer", |r| r["task_id"] == task.as_str());
    assert_eq!(
        (&audit["choice"], &audit["role"]),
        (&json!("push"), &json!("user"))
    );
    // Answering again is a conflict, as over REST.
    let again = ask(
        &mut socket,
        json!({"event": "escalation.response", "payload": {"escalation_id": escalation, "choice": "hold"}}),
    )
    .await;
    assert_eq!(again["payload"]["status"], 409, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_get_errors_and_the_connection_lives_until_the_server_stops() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let mut socket = connect(&api, &format!("token={}", api.user)).await;
    next(&mut socket).await;
    let finished = api.submit("echo done").await;
    until(&mut socket, is("task.completed", &finished)).await;
    // After it, the session; then nothing until the client asks.
    until(&mut socket, |m| m["event"] == "state.updated").await;
    let submit = |payload: Value| json!({"event": "task.submit", "payload": payload}).to_string();
    let cancel = |id: &str| json!({"event": "task.cancel", "payload": {"task_id": id}}).to_string();
    let answer = json!({"event": "escalation.response", "payload": {"escalation_id": "e-nope", "choice": "x"}});
    let cases = [
        ("not json".to_string(), 400, "not JSON"),
        ("[1, 2]".to_string(), 400, "JSON object"),
        (json!({"payload": {}}).to_string(), 400, "no `event`"),
        (
            json!({"event": "task.explode"}).to_string(),
            400,
            "unknown event",
        ),
        (submit(json!({"description": " "})), 422, "description"),
        (
            submit(json!({"description": "x", "bogus": 1})),
            422,
            "bogus",
        ),
        (
            submit(json!({"description": "x", "workflow_id": "nope"})),
            422,
            "nope",
        ),
        (cancel("t-nope"), 404, "t-nope"),
        (cancel(&finished), 409, "nothing to cancel"),
        (answer.to_string(), 404, "e-nope"),
    ];
    for (text, status, says) in cases {
        socket
            .send(Message::text(text.clone()))
            .await
            .expect("send");
        let reply = next(&mut socket).await;
        assert_eq!(reply["event"], "error", "{text}: {reply}");
        assert_eq!(reply["payload"]["status"], status, "{text}: {reply}");
        let error = reply["payload"]["error"].as_str().unwrap();
        assert!(error.contains(says), "{text}: {error}");
    }
    socket
        .send(Message::binary(vec![1u8, 2, 3]))
        .await
        .expect("send");
    assert_eq!(next(&mut socket).await["payload"]["status"], 400);
    // Still connected: a query is answered, a cancel works.
    send(&mut socket, json!({"event": "state.query"})).await;
    let state = next(&mut socket).await;
    assert_eq!(state["event"], "state.updated", "{state}");
    assert_eq!(state["payload"]["tasks"]["succeeded"], 1);
    let id = api.submit("sleep 30").await;
    until(&mut socket, is("task.started", &id)).await;
    let cancelled = ask(
        &mut socket,
        json!({"event": "task.cancel", "payload": {"task_id": id}}),
    )
    .await;
    assert_eq!(cancelled["event"], "task.cancel.ok", "{cancelled}");
    assert_eq!(cancelled["payload"]["status"], "cancelling");
    until(&mut socket, is("task.cancelled", &id)).await;

    // The server stopping says so in a close frame.
    let engine = api.engine;
    let stopped = tokio::task::spawn_blocking(move || engine.stop());
    let frame = loop {
        match receive(&mut socket).await {
            Got::Json(_) => {}
            Got::Closed(frame) => break frame.expect("a close frame"),
        }
    };
    assert_eq!(u16::from(frame.code), 1001);
    assert!(frame.reason.contains("server stopping"), "{frame:?}");
    stopped.await.expect("the engine stopped cleanly");
}

/// True once the engine's log says a client was cut off for being slow.
fn cut_off(project: &Project) -> bool {
    std::fs::read_dir(project.path(".bosun/logs"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            std::fs::read_to_string(entry.path())
                .is_ok_and(|log| log.contains("too slow to keep up"))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_too_slow_to_keep_up_is_cut_off_with_a_reason_and_others_go_on() {
    let project = Project::new();
    project.write(
        ".bosun/config.yaml",
        "api:\n  ws_queue: 8\n  rate_limit: 100000\n  burst: 100000\n",
    );
    let api = project.start_api(&[]);
    let mut slow = stalled_client(&api).await;
    let mut fast = connect(&api, &format!("token={}", api.readonly)).await;
    next(&mut fast).await;
    // While the stalled client's buffers still take what is sent: a task's events reach it.
    let first = api.submit("echo first").await;
    let mut seen = until(&mut fast, is("task.completed", &first)).await;
    // Then it asks and asks without reading the answers, until the server's socket buffers
    // (megabytes on loopback) are full and its queue overflows.
    let mut rounds = 0;
    while !cut_off(&project) {
        rounds += 1;
        assert!(rounds <= 200, "the stalled client was never cut off");
        for _ in 0..100 {
            send(&mut slow, json!({"event": "state.query"})).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The other client still receives.
    let after = api.submit("echo after").await;
    seen.extend(until(&mut fast, is("task.completed", &after)).await);
    assert_contiguous(&seqs(&seen));

    // The stalled client, reading at last: what was in its buffers, then why it was cut off.
    let mut got = Vec::new();
    let frame = loop {
        match receive(&mut slow).await {
            Got::Json(message) => got.push(message),
            Got::Closed(frame) => break frame.expect("a close frame with a reason"),
        }
    };
    assert_eq!(u16::from(frame.code), 1008, "{frame:?}");
    let reason = frame.reason.to_string();
    assert!(reason.contains("too slow"), "{reason}");
    let since: i64 = reason
        .rsplit("?since=")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ?since= in `{reason}`"));
    let received = seqs(&got);
    assert!(got.iter().any(is("task.completed", &first)));
    assert_contiguous(&received);
    assert_eq!(
        received.last(),
        Some(&since),
        "since is the last event it got"
    );

    // Reconnecting where it says: the rest, none lost, none twice.
    let mut back = connect(&api, &format!("token={}&since={since}", api.readonly)).await;
    let rest = until(&mut back, is("task.completed", &after)).await;
    let all: Vec<i64> = received.into_iter().chain(seqs(&rest)).collect();
    assert_contiguous(&all);
    assert_eq!(all.last(), seqs(&seen).last());
}
