//! `GET /ws` (DESIGN.md §10): the committed events as `{"event", "timestamp", "seq",
//! "payload"}`, live, after a replay from the store with `?since=SEQ`; `state.updated` on
//! connect and when the session changed; and `task.submit`, `task.cancel`, `state.query` and
//! `escalation.response` from the client, answered with `<event>.ok` or `error`. The token
//! (`?token=` or a bearer header, readonly or better) was checked by `auth::authorize`.
//!
//! `message` writes what goes out, `requests` answers what comes in, `connection` runs one
//! client, `hub` reads the session state once for all of them.

mod connection;
mod hub;
mod message;
mod requests;

use std::sync::Arc;

use axum::Extension;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};

pub use hub::Hub;

use super::ApiState;
use super::auth::Caller;
use super::error::ApiError;
use crate::store::summary;

/// `GET /ws[?since=SEQ]`.
pub async fn upgrade(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let since = match since(query.as_deref()) {
        Ok(since) => since,
        Err(e) => return e.into_response(),
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return ApiError::new(
                rejection.status(),
                format!("/ws is a WebSocket: connect with a WebSocket client ({rejection})"),
            )
            .into_response();
        }
    };
    // Subscribed before the store is read, and both before the handshake is answered: an
    // event committed once the client knows it is connected is either in the store's answer
    // or in the broadcast.
    let events = state.handle.subscribe();
    let last = match summary::last_seq(&state.store.reader).await {
        Ok(last) => last,
        Err(e) => return ApiError::from(e).into_response(),
    };
    // A `since` past the newest event (a store made anew) replays nothing and drops nothing.
    let cursor = since.map_or(last, |since| since.min(last));
    let start = connection::Start {
        caller,
        events,
        cursor,
    };
    upgrade
        .max_message_size(state.settings.body_limit)
        .on_upgrade(move |socket| connection::serve(state, start, socket))
}

/// `since` from the query: the `seq` of the last event the client has.
fn since(query: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(value) = query
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("since="))
    else {
        return Ok(None);
    };
    match value.parse::<i64>() {
        Ok(seq) if seq >= 0 => Ok(Some(seq)),
        _ => Err(ApiError::bad_request(format!(
            "since must be the seq of an event (a whole number, 0 for all), not `{value}`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_a_seq_or_absent() {
        assert_eq!(since(None), Ok(None));
        assert_eq!(since(Some("token=abc")), Ok(None));
        assert_eq!(since(Some("token=abc&since=42")), Ok(Some(42)));
        assert_eq!(since(Some("since=0")), Ok(Some(0)));
        assert!(since(Some("since=-1")).is_err());
        assert!(since(Some("since=ten")).is_err());
    }
}
