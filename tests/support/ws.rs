//! A WebSocket client for the tests of `/ws` (tokio-tungstenite over real TCP): connecting
//! with a token, reading the server's JSON messages (pings skipped, within a bound), sending
//! requests, and checking `seq`s.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::api::Api;

/// How long a message may take to come.
pub const LONG: Duration = Duration::from_secs(30);

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn connect(api: &Api, query: &str) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(api.ws_url(query))
        .await
        .unwrap_or_else(|e| panic!("connect to /ws?{query}: {e}"));
    socket
}

/// The HTTP status a refused handshake got.
pub async fn refused(url: &str) -> u16 {
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("{url}: not an HTTP refusal: {e}"),
        Ok(_) => panic!("{url}: the handshake was accepted"),
    }
}

/// What the server sent next: a JSON message (pings skipped) or the close frame.
pub enum Got {
    Json(Value),
    Closed(Option<CloseFrame>),
}

pub async fn receive(socket: &mut Socket) -> Got {
    // One bound for the message, pings or not.
    let deadline = tokio::time::Instant::now() + LONG;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
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
pub async fn next(socket: &mut Socket) -> Value {
    match receive(socket).await {
        Got::Json(value) => value,
        Got::Closed(frame) => panic!("closed: {frame:?}"),
    }
}

/// Messages up to and including the first that `last` accepts.
pub async fn until(socket: &mut Socket, last: impl Fn(&Value) -> bool) -> Vec<Value> {
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

pub async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// Sends a request and returns the reply (events that come meanwhile are skipped).
pub async fn ask(socket: &mut Socket, message: Value) -> Value {
    send(socket, message).await;
    until(socket, |m| {
        m.get("seq").is_none() && m["event"] != "state.updated"
    })
    .await
    .pop()
    .expect("a reply")
}

pub fn is(event: &str, task: &str) -> impl Fn(&Value) -> bool {
    move |m: &Value| m["event"] == event && m["payload"]["task_id"] == task
}

/// The `seq` of each committed event among `messages`.
pub fn seqs(messages: &[Value]) -> Vec<i64> {
    messages.iter().filter_map(|m| m["seq"].as_i64()).collect()
}

pub fn assert_contiguous(seqs: &[i64]) {
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "seqs have a gap or a repeat: {seqs:?}"
    );
}

/// A client that reads nothing, with a small receive buffer so that the server's writes stop
/// being taken soon.
pub async fn stalled_client(api: &Api) -> Socket {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket
        .connect(api.addr.parse().expect("address"))
        .await
        .expect("connect");
    let (socket, _) = tokio_tungstenite::client_async(
        api.ws_url(&format!("token={}", api.readonly)),
        MaybeTlsStream::Plain(stream),
    )
    .await
    .expect("handshake");
    socket
}
