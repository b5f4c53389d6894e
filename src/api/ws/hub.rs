//! The `state.updated` every connection sends after a task finished or a question opened or
//! closed: read once for all connections, at most once per [`COALESCE`], by one task started
//! with the first connection. A connection pokes the hub with the event's `seq`; the hub reads
//! the session state after that event and publishes it with that `seq`, so a connection sends
//! it only once it has sent the event itself (the state is never older than the event it
//! follows). Fifty clients cost one read, not fifty.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::super::ApiState;
use super::super::session::session_state;
use super::message::{self, Out};

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
            tokio::spawn(run(
                Arc::downgrade(state),
                state.stop.clone(),
                poked,
                publish,
            ));
            Feed { pokes, states }
        })
    }

    /// The states the hub publishes.
    pub(super) fn states(&self, state: &Arc<ApiState>) -> watch::Receiver<Option<Arc<StateUpdate>>> {
        self.feed(state).states.clone()
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

/// Reads and publishes the session state after each poke, at most once per [`COALESCE`], until
/// the server stops.
async fn run(
    state: Weak<ApiState>,
    stop: tokio_util::sync::CancellationToken,
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
