//! One WebSocket connection: the committed events after its cursor, in `seq` order with no gap
//! and no duplicate, then the replies to what the client sends; `state.updated` when the
//! session changed; a ping now and then.
//!
//! Invariants:
//! - Every committed event after the starting cursor is sent once, in order. The broadcast is
//!   subscribed before the store is read; a live event at or below the cursor is dropped, one
//!   just after it is sent, and anything else (a gap: another process committed, or a
//!   `Lagged` broadcast) makes the connection read the store from the cursor until it is
//!   caught up, at the client's pace.
//! - The outgoing queue is bounded by `api.ws_queue`. It grows only while the socket does not
//!   take what is written (the client does not read): all that waits is written at once, and
//!   what comes meanwhile waits (so a connection holds at most twice the bound). A live event
//!   or a reply that finds it full disconnects the client with a close frame saying it was too slow and where to
//!   resume. Nothing here ever waits on a client while holding something another needs: the
//!   engine's broadcast does not wait for receivers, and each connection is its own task.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::super::ApiState;
use super::super::auth::Caller;
use super::super::session::session_state;
use super::hub::StateUpdate;
use super::message::{self, Out};
use super::requests;
use crate::protocol::EventEnvelope;
use crate::store::summary;

/// Events read from the store at a time, at most.
const PAGE: usize = 500;
/// How often the server pings; a client silent for [`SILENT`] is gone.
const PING_EVERY: Duration = Duration::from_secs(20);
/// How often the connection's token is looked at again (revoked, expired).
const TOKEN_EVERY: Duration = Duration::from_secs(1);
/// The close code for a token that lapsed: 4000 and up are the application's, and 4401 says
/// 401 as HTTP would.
const TOKEN_LAPSED: u16 = 4401;
const SILENT: Duration = Duration::from_secs(60);
/// How long a client too slow to keep up has to take what was in flight and the close frame.
const SLOW_CLOSE: Duration = Duration::from_secs(30);
/// How long closing may take otherwise (the server stopping, the client leaving).
const CLOSE: Duration = Duration::from_secs(1);

type Sink = SplitSink<WebSocket, Message>;
/// A message being written: the sink comes back with the result.
type Sending = Pin<Box<dyn Future<Output = (Sink, Result<(), axum::Error>)> + Send>>;

/// Where a connection starts: the broadcast subscribed and the cursor read before the
/// handshake was answered, so that nothing committed after the client connected is missed.
pub(super) struct Start {
    pub caller: Caller,
    pub events: broadcast::Receiver<EventEnvelope>,
    /// Send every committed event after this one.
    pub cursor: i64,
}

/// Why a connection ends.
enum Ending {
    /// The client closed, went away, or broke the protocol.
    Gone,
    /// Not a pong in [`SILENT`].
    Silent,
    Stopping,
    TooSlow,
    StoreFailed(String),
    /// The token was revoked or expired since the connection opened.
    Lapsed(String),
}

struct Connection {
    state: Arc<ApiState>,
    caller: Caller,
    queue: VecDeque<Out>,
    capacity: usize,
    /// The newest committed event queued: the next to queue is the one after it.
    cursor: i64,
    /// The newest committed event written to the socket.
    delivered: i64,
    /// Reading the store from `cursor` (the replay, after a gap or a lag) until caught up.
    behind: bool,
    /// `state.updated` was sent once caught up the first time.
    greeted: bool,
    /// The newest state-changing event sent since the last `state.updated` of the hub.
    want_state: Option<i64>,
    /// The hub's newest `state.updated`.
    latest: Option<Arc<StateUpdate>>,
    too_slow: bool,
    heard: Instant,
}

/// Serves one connection until it ends.
pub(super) async fn serve(state: Arc<ApiState>, start: Start, socket: WebSocket) {
    let states = state.ws.states(&state);
    let outside = state.ws.outside(&state);
    let capacity = state.settings.ws_queue.max(1);
    let connection = Connection {
        caller: start.caller,
        queue: VecDeque::new(),
        capacity,
        cursor: start.cursor,
        delivered: start.cursor,
        behind: true,
        greeted: false,
        want_state: None,
        latest: None,
        too_slow: false,
        heard: Instant::now(),
        state,
    };
    connection.run(socket, start.events, outside, states).await;
}

impl Connection {
    async fn run(
        mut self,
        socket: WebSocket,
        mut events: broadcast::Receiver<EventEnvelope>,
        mut outside: watch::Receiver<i64>,
        mut states: watch::Receiver<Option<Arc<StateUpdate>>>,
    ) {
        let (sink, mut stream) = socket.split();
        let mut sink = Some(sink);
        let mut sending: Option<(Sending, Option<i64>)> = None;
        let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        let mut token = tokio::time::interval_at(Instant::now() + TOKEN_EVERY, TOKEN_EVERY);
        let stop = self.state.stop.clone();
        let ending = loop {
            if self.behind
                && self.queue.len() <= self.capacity / 4
                && let Err(e) = self.catch_up().await
            {
                break Ending::StoreFailed(e);
            }
            if sending.is_none()
                && !self.queue.is_empty()
                && let Some(idle) = sink.take()
            {
                // Everything waiting goes in one write (a burst costs one system call).
                let batch: Vec<Out> = self.queue.drain(..).collect();
                let seq = batch.iter().rev().find_map(|out| out.seq);
                sending = Some((send(idle, batch), seq));
            }
            tokio::select! {
                biased;
                () = stop.cancelled() => break Ending::Stopping,
                (back, sent) = in_flight(&mut sending) => {
                    let seq = sending.take().and_then(|(_, seq)| seq);
                    if sent.is_err() {
                        break Ending::Gone;
                    }
                    sink = Some(back);
                    if let Some(seq) = seq {
                        self.delivered = seq;
                    }
                }
                incoming = stream.next() => {
                    self.heard = Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(text))) => {
                            // Nothing is done for a token revoked since the last look.
                            if let Some(lapsed) = self.state.tokens.lapsed(&self.caller.token_id).await {
                                break Ending::Lapsed(lapsed.to_string());
                            }
                            let reply = requests::reply(&self.state, &self.caller, text.as_str()).await;
                            self.push(reply);
                        }
                        Some(Ok(Message::Binary(_))) => self.push(message::error(
                            &super::super::error::ApiError::bad_request(
                                "messages are JSON text, not binary",
                            ),
                        )),
                        // Pings are answered by the WebSocket layer itself.
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break Ending::Gone,
                    }
                }
                _ = token.tick() => {
                    if let Some(lapsed) = self.state.tokens.lapsed(&self.caller.token_id).await {
                        break Ending::Lapsed(lapsed.to_string());
                    }
                }
                _ = ping.tick() => {
                    if self.heard.elapsed() > SILENT {
                        break Ending::Silent;
                    }
                    self.push(Out { message: Message::Ping(Default::default()), seq: None });
                }
                Ok(()) = states.changed() => {
                    self.latest = states.borrow_and_update().clone();
                    self.offer_state();
                }
                // Another process committed (a `bosun submit`): its events are not broadcast here.
                Ok(()) = outside.changed(), if !self.behind => {
                    if *outside.borrow_and_update() > self.cursor {
                        self.behind = true;
                    }
                }
                event = events.recv(), if !self.behind => match event {
                    Ok(envelope) => self.live(&envelope),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.behind = true,
                    Err(broadcast::error::RecvError::Closed) => break Ending::Stopping,
                },
            }
            if self.too_slow {
                break Ending::TooSlow;
            }
        };
        self.close(ending, sink, sending, stream).await;
    }

    /// Queues `out`; past the queue's bound the client is too slow.
    fn push(&mut self, out: Out) {
        if self.queue.len() >= self.capacity {
            self.too_slow = true;
            return;
        }
        self.queue.push_back(out);
    }

    /// A committed event from the broadcast.
    fn live(&mut self, envelope: &EventEnvelope) {
        if envelope.seq <= self.cursor {
            return;
        }
        if envelope.seq > self.cursor + 1 {
            // A gap: read the store from the cursor, this event included.
            self.behind = true;
            return;
        }
        self.queue_event(envelope);
    }

    fn queue_event(&mut self, envelope: &EventEnvelope) {
        self.cursor = envelope.seq;
        self.push(message::committed(envelope));
        if self.greeted && message::changes_state(&envelope.event) {
            self.want_state = Some(envelope.seq);
            self.state.ws.poke(&self.state, envelope.seq);
        }
        self.offer_state();
    }

    /// Sends the hub's state if it was read after what this client was last sent.
    fn offer_state(&mut self) {
        if let (Some(want), Some(update)) = (self.want_state, &self.latest)
            && update.seq >= want
            && update.seq <= self.cursor
        {
            let out = update.out.clone();
            self.want_state = None;
            self.push(out);
        }
    }

    /// Reads the next page of events after the cursor from the store, as much as fits in half
    /// the queue; once the store has no more, goes live (and greets, the first time).
    async fn catch_up(&mut self) -> Result<(), String> {
        let room = (self.capacity / 2).max(1).saturating_sub(self.queue.len());
        let want = room.clamp(1, PAGE);
        let page = summary::events_since(&self.state.store.reader, self.cursor, want as i64)
            .await
            .map_err(|e| e.to_string())?;
        let got = page.len();
        for envelope in &page {
            if envelope.seq > self.cursor {
                self.queue_event(envelope);
            }
        }
        if got < want {
            self.behind = false;
            if !self.greeted {
                self.greeted = true;
                let session = session_state(&self.state).await.map_err(|e| e.message)?;
                self.push(message::reply("state.updated", session));
            }
        }
        Ok(())
    }

    /// Says why the connection ends (a close frame, when the client can still be told) and
    /// waits, within a bound, for the client's own close frame.
    async fn close(
        mut self,
        ending: Ending,
        sink: Option<Sink>,
        sending: Option<(Sending, Option<i64>)>,
        mut stream: SplitStream<WebSocket>,
    ) {
        let (code, within) = match &ending {
            Ending::Gone | Ending::Silent => {
                // The client closed (its frame is answered as the sink closes) or is gone.
                if let Some(mut sink) = sink {
                    let _ = tokio::time::timeout(CLOSE, sink.close()).await;
                }
                return;
            }
            Ending::Stopping => (close_code::AWAY, CLOSE),
            Ending::StoreFailed(e) => {
                tracing::warn!(error = %e, "a WebSocket client was let go: the store did not answer");
                (close_code::ERROR, CLOSE)
            }
            Ending::Lapsed(_) => (TOKEN_LAPSED, CLOSE),
            Ending::TooSlow => {
                tracing::info!(
                    token = %self.caller.token_id,
                    queue = self.capacity,
                    "a WebSocket client was too slow to keep up and was disconnected"
                );
                (close_code::POLICY, SLOW_CLOSE)
            }
        };
        let _ = tokio::time::timeout(within, async {
            let mut sink = match (sink, sending) {
                (Some(sink), _) => sink,
                // What was being written goes first: the client may count it as delivered.
                (None, Some((in_flight, seq))) => {
                    let (sink, sent) = in_flight.await;
                    if sent.is_err() {
                        return;
                    }
                    if let Some(seq) = seq {
                        self.delivered = seq;
                    }
                    sink
                }
                (None, None) => return,
            };
            let resume = format!("reconnect with ?since={}", self.delivered);
            let reason = match ending {
                Ending::TooSlow => format!(
                    "too slow: more than {} messages waiting; {resume}",
                    self.capacity
                ),
                Ending::Stopping => format!("server stopping; {resume}"),
                Ending::Lapsed(why) => format!("{why}; reconnect with a valid token"),
                _ => format!("the store did not answer; {resume}"),
            };
            let frame = CloseFrame {
                code,
                reason: Utf8Bytes::from(truncate(reason)),
            };
            if sink.send(Message::Close(Some(frame))).await.is_err() {
                return;
            }
            // The client answers with its own close frame; then the connection is over.
            while let Some(Ok(message)) = stream.next().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// A close frame's reason is at most 123 bytes.
fn truncate(mut reason: String) -> String {
    if reason.len() > 123 {
        let mut end = 123;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

fn send(mut sink: Sink, batch: Vec<Out>) -> Sending {
    Box::pin(async move {
        for out in batch {
            if let Err(e) = sink.feed(out.message).await {
                return (sink, Err(e));
            }
        }
        let sent = sink.flush().await;
        (sink, sent)
    })
}

/// The message being written, or never when none is.
async fn in_flight(
    sending: &mut Option<(Sending, Option<i64>)>,
) -> (Sink, Result<(), axum::Error>) {
    match sending {
        Some((future, _)) => future.await,
        None => std::future::pending().await,
    }
}
