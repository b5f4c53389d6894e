//! The WebSocket `/ws` over a real connection (tokio-tungstenite) to a real `bosun run --api`:
//! a task's events in `seq` order, `state.updated`, a reconnect with `?since=` that gets
//! exactly what was missed, tokens and roles, an escalation answered over the socket, a client
//! too slow to keep up cut off with a reason while another keeps receiving, bad messages
//! answered with errors, and the close frame when the server stops.

mod support;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::Project;
use support::api::Api;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const LONG: Duration = Duration::from_secs(30);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A question the engine asks and waits on.
const SHIP: &str = r#"
steps:
  - id: ship
    decide: { question: "Push the release?", options: [push, hold], default: hold, risk: high }
  - { id: pushed, if: "steps.ship.choice == 'push'", skill: shell, with: { run: "echo pushed > pushed.ran" } }
"#;

async fn connect(api: &Api, query: &str) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(api.ws_url(query))
        .await
        .unwrap_or_else(|e| panic!("connect to /ws?{query}: {e}"));
    socket
}

/// The HTTP status a refused handshake got.
async fn refused(api: &Api, url: &str) -> u16 {
    let _ = api;
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("{url}: not an HTTP refusal: {e}"),
        Ok(_) => panic!("{url}: the handshake was accepted"),
    }
}

/// What the server sent next: a JSON message (pings skipped) or the close frame.
enum Got {
    Json(Value),
    Closed(Option<CloseFrame>),
}

async fn receive(socket: &mut Socket) -> Got {
    loop {
        let message = tokio::time::timeout(LONG, socket.next())
            .await
            .expect("a message within 30 s");
        match message {
            Some(Ok(Message::Text(text))) => {
                return Got::Json(serde_json::from_str(&text).expect("messages are JSON"));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Close(frame))) => return Got::Closed(frame),
            Some(Ok(other)) => panic!("unexpected message {other:?}"),
            Some(Err(e)) => panic!("the socket failed: {e}"),
            None => return Got::Closed(None),
        }
    }
}

/// The next JSON message.
async fn next(socket: &mut Socket) -> Value {
    match receive(socket).await {
        Got::Json(value) => value,
        Got::Closed(frame) => panic!("closed: {frame:?}"),
    }
}

/// Messages up to and including the first that `last` accepts.
async fn until(socket: &mut Socket, last: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut got = Vec::new();
    loop {
        let message = next(socket).await;
        let done = last(&message);
        got.push(message);
        if done {
            return got;
        }
    }
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// Sends a request and returns the reply (events that come meanwhile are skipped).
async fn ask(socket: &mut Socket, message: Value) -> Value {
    send(socket, message).await;
    until(socket, |m| m.get("seq").is_none() && m["event"] != "state.updated")
        .await
        .pop()
        .expect("a reply")
}

fn is(event: &str, task: &str) -> impl Fn(&Value) -> bool {
    move |m: &Value| m["event"] == event && m["payload"]["task_id"] == task
}

/// The committed events among `messages`.
fn committed(messages: &[Value]) -> Vec<&Value> {
    messages.iter().filter(|m| m.get("seq").is_some()).collect()
}

fn seqs(messages: &[Value]) -> Vec<i64> {
    committed(messages)
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect()
}

fn assert_contiguous(seqs: &[i64]) {
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "seqs have a gap or a repeat: {seqs:?}"
    );
}

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
    let events = committed(&got);
    let names: Vec<&str> = events.iter().map(|m| m["event"].as_str().unwrap()).collect();
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
        assert!(event["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
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
    let audit = wait_audit(&project, "api.submit", &second);
    assert_eq!(audit["role"], "user");
}

/// The audit record of `kind` about `task` (written by an actor: shortly after).
fn wait_audit(project: &Project, kind: &str, task: &str) -> Value {
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(project.path(".bosun/audit.jsonl")).unwrap_or_default();
        if let Some(found) = log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|r| r["kind"] == kind && r["task_id"] == task)
        {
            return found;
        }
        assert!(start.elapsed() < LONG, "no {kind} in the audit log:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
