//! What the WebSocket's connections share, so that fifty clients cost one read and not fifty:
//!
//! - the `state.updated` sent after a task finished or a question opened or closed, read at
//!   most once per [`COALESCE`]. A connection pokes the hub with the event's `seq`; the hub
//!   reads the session state after that event and publishes it with that `seq`, and a
//!   connection sends it only once it has sent the event itself (the state is never older
//!   than the event it follows);
//! - the newest event another process committed (a `bosun submit`, a `bosun answer`): those
//!   are in the store but not in this process's broadcast. When the store changed, the hub
//!   compares the store's newest `seq` with the newest the broadcast carried, and publishes the
//!   difference; a connection behind it reads the store.
//!
//! Both run in tasks started with the first connection, until the server stops.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::super::ApiState;
use super::super::session::session_state;
use super::message::{self, Out};
use crate::protocol::EventEnvelope;
use crate::store::summary;

/// The shortest time between two `state.updated` of the hub.
pub(super) const COALESCE: Duration = Duration::from_millis(250);

/// The WebSocket's shared part, in [`ApiState`].
#[derive(Debug, Default)]
pub struct Hub {
    feed: OnceLock<Feed>,
}

#[derive(Debug)]
struct Feed {
    /// The newest event a connection wants a state after.
    pokes: watch::Sender<i64>,
    states: watch::Receiver<Option<Arc<StateUpdate>>>,
    outside: watch::Receiver<i64>,
}

/// A `state.updated` message, read after the committed event `seq`.
#[derive(Debug)]
pub(super) struct StateUpdate {
    pub seq: i64,
    pub out: Out,
}

impl Hub {
    fn feed(&self, state: &Arc<ApiState>) -> &Feed {
        self.feed.get_or_init(|| {
            let (pokes, poked) = watch::channel(0);
            let (publish, states) = watch::channel(None);
            let (found, outside) = watch::channel(0);
            let weak = Arc::downgrade(state);
            tokio::spawn(read_states(
                weak.clone(),
                state.stop.clone(),
                poked,
                publish,
            ));
            tokio::spawn(watch_outside(
                weak,
                state.stop.clone(),
                state.handle.subscribe(),
                state.handle.store_changes(),
                found,
            ));
            Feed {
                pokes,
                states,
                outside,
            }
        })
    }

    /// The states the hub publishes.
    pub(super) fn states(
        &self,
        state: &Arc<ApiState>,
    ) -> watch::Receiver<Option<Arc<StateUpdate>>> {
        self.feed(state).states.clone()
    }

    /// The newest event committed by another process (0 before any).
    pub(super) fn outside(&self, state: &Arc<ApiState>) -> watch::Receiver<i64> {
        self.feed(state).outside.clone()
    }

    /// Asks for a state read after the committed event `seq`.
    pub(super) fn poke(&self, state: &Arc<ApiState>, seq: i64) {
        self.feed(state).pokes.send_if_modified(|newest| {
            let newer = seq > *newest;
            if newer {
                *newest = seq;
            }
            newer
        });
    }
}

/// Reads and publishes the session state after each poke, at most once per [`COALESCE`].
async fn read_states(
    state: Weak<ApiState>,
    stop: CancellationToken,
    mut poked: watch::Receiver<i64>,
    publish: watch::Sender<Option<Arc<StateUpdate>>>,
) {
    let mut next = Instant::now();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            changed = poked.changed() => if changed.is_err() { return },
        }
        // Pokes that come meanwhile are answered by the one read below.
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep_until(next) => {}
        }
        let seq = *poked.borrow_and_update();
        let Some(state) = state.upgrade() else { return };
        // A failure is logged by `ApiError::internal`; the next poke tries again.
        if let Ok(session) = session_state(&state).await {
            let out = message::reply("state.updated", &session);
            publish.send_replace(Some(Arc::new(StateUpdate { seq, out })));
        }
        next = Instant::now() + COALESCE;
    }
}

/// Publishes the store's newest `seq` whenever the broadcast did not carry it.
async fn watch_outside(
    state: Weak<ApiState>,
    stop: CancellationToken,
    mut events: broadcast::Receiver<EventEnvelope>,
    mut changes: watch::Receiver<u64>,
    found: watch::Sender<i64>,
) {
    // What was committed before is the connections' own replay's to read.
    let mut carried = match state.upgrade() {
        Some(state) => summary::last_seq(&state.store.reader).await.unwrap_or(0),
        None => return,
    };
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            event = events.recv() => match event {
                Ok(event) => carried = carried.max(event.seq),
                // What was missed is unknown: every connection behind the store looks.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let Some(state) = state.upgrade() else { return };
                    if let Ok(newest) = summary::last_seq(&state.store.reader).await {
                        carried = carried.max(newest);
                        found.send_if_modified(|seen| raise(seen, newest));
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                let Some(state) = state.upgrade() else { return };
                let Ok(newest) = summary::last_seq(&state.store.reader).await else {
                    continue;
                };
                // Events committed before the read and broadcast since are this process's.
                while let Ok(event) = events.try_recv() {
                    carried = carried.max(event.seq);
                }
                if newest > carried {
                    carried = newest;
                    found.send_if_modified(|seen| raise(seen, newest));
                }
            }
        }
    }
}

fn raise(seen: &mut i64, newest: i64) -> bool {
    let newer = newest > *seen;
    if newer {
        *seen = newest;
    }
    newer
}
