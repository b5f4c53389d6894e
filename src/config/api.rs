//! The `api:` settings: where `bosun run` serves the REST and WebSocket API, the dashboard and
//! `/metrics` (DESIGN.md §10), and the limits every client lives within.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// `api:` resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiSettings {
    /// The address to listen on (`127.0.0.1:8765`); `None`, the default, serves nothing.
    pub listen: Option<String>,
    /// Listening on an address other than loopback sends tokens and step output in clear text
    /// over the network: refused unless this says the risk is taken (a TLS proxy in front).
    pub expose_without_tls: bool,
    /// Requests a second one client may make (by token; by address before it has one).
    pub rate_limit: u32,
    /// Requests a client may make at once above the rate before it is refused.
    pub burst: u32,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    /// Events a WebSocket client may have waiting: past this it is too slow and is
    /// disconnected with a reason (it reconnects with `?since=` and misses nothing).
    pub ws_queue: usize,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            listen: None,
            expose_without_tls: false,
            rate_limit: 100,
            burst: 200,
            body_limit: 1 << 20,
            ws_queue: 1024,
        }
    }
}

/// `api:` as one config layer writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialApi {
    pub listen: Option<String>,
    pub expose_without_tls: Option<bool>,
    pub rate_limit: Option<u32>,
    pub burst: Option<u32>,
    pub body_limit: Option<usize>,
    pub ws_queue: Option<usize>,
}

impl ApiSettings {
    pub(super) fn apply(&mut self, layer: PartialApi) {
        if let Some(listen) = layer.listen {
            // `off` (or an empty value) in a later layer turns an earlier layer's API off.
            self.listen = (!listen.is_empty() && listen != "off").then_some(listen);
        }
        if let Some(expose) = layer.expose_without_tls {
            self.expose_without_tls = expose;
        }
        if let Some(n) = layer.rate_limit {
            self.rate_limit = n;
        }
        if let Some(n) = layer.burst {
            self.burst = n;
        }
        if let Some(n) = layer.body_limit {
            self.body_limit = n;
        }
        if let Some(n) = layer.ws_queue {
            self.ws_queue = n;
        }
    }

    pub(super) fn check(&self) -> Result<(), String> {
        if let Some(listen) = &self.listen {
            self.address(listen)?;
        }
        if self.rate_limit == 0 {
            return Err("api.rate_limit must be at least 1 request a second".into());
        }
        if self.body_limit < 1024 {
            return Err("api.body_limit must be at least 1024 bytes".into());
        }
        if self.ws_queue == 0 {
            return Err("api.ws_queue must be at least 1".into());
        }
        Ok(())
    }

    /// `listen` as an address, refused when it is not loopback and the risk was not taken.
    pub fn address(&self, listen: &str) -> Result<SocketAddr, String> {
        let addr: SocketAddr = listen.parse().map_err(|_| {
            format!("api.listen `{listen}` is not an address and port, like 127.0.0.1:8765")
        })?;
        if !addr.ip().is_loopback() && !self.expose_without_tls {
            return Err(format!(
                "api.listen `{listen}` is not a loopback address: tokens and output would cross \
                 the network unencrypted. Put a TLS proxy in front and pass \
                 --api-expose-without-tls (or set api.expose_without_tls) to say so"
            ));
        }
        Ok(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_address_needs_the_risk_named() {
        let mut api = ApiSettings::default();
        assert!(api.address("127.0.0.1:8765").is_ok());
        assert!(api.address("[::1]:8765").is_ok());
        let refused = api.address("0.0.0.0:8765").unwrap_err();
        assert!(refused.contains("--api-expose-without-tls"), "{refused}");
        api.expose_without_tls = true;
        assert!(api.address("0.0.0.0:8765").is_ok());
        assert!(
            api.address("localhost")
                .unwrap_err()
                .contains("not an address")
        );
    }

    #[test]
    fn off_in_a_later_layer_turns_the_api_off() {
        let mut api = ApiSettings::default();
        api.apply(PartialApi {
            listen: Some("127.0.0.1:8765".into()),
            ..Default::default()
        });
        assert_eq!(api.listen.as_deref(), Some("127.0.0.1:8765"));
        api.apply(PartialApi {
            listen: Some("off".into()),
            ..Default::default()
        });
        assert_eq!(api.listen, None);
    }
}
