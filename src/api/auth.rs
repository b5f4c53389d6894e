//! Who may do what: the bearer token of every request (or `?token=` on `/ws`, which browsers
//! cannot give headers), checked against the project's key and its token records, the role the
//! route needs, and the rate limit of each client. Only `/health` and the dashboard's static
//! files are open; 401 without a valid token, 403 for a role that may not, 429 past the limit.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiState;
use super::error::ApiError;
use super::token::{Role, TokenError};
use crate::store::tokens::{self, TokenRecord};

/// The token a request was made with, for handlers and the audit log.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: String,
    pub role: Role,
}

impl Caller {
    /// Adds who asked to an audit record.
    pub fn audit(&self, kind: &str) -> serde_json::Map<String, serde_json::Value> {
        let mut entry = serde_json::Map::new();
        entry.insert("kind".into(), kind.into());
        entry.insert("via".into(), "api".into());
        entry.insert("token_id".into(), self.token_id.clone().into());
        entry.insert("role".into(), self.role.as_str().into());
        entry
    }
}

/// The role a request needs: reads are `readonly`, changes `user`, tokens `admin`; `None` for
/// what is open.
fn required(method: &Method, path: &str) -> Option<Role> {
    if path == "/health" || super::dashboard::is_static(path) {
        return None;
    }
    if path.starts_with("/api/tokens") {
        return Some(Role::Admin);
    }
    if *method == Method::GET || *method == Method::HEAD {
        Some(Role::Readonly)
    } else {
        Some(Role::User)
    }
}

/// The middleware in front of every route.
pub async fn authorize(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let need = required(req.method(), req.uri().path());
    let token = bearer(&req);
    let caller = match token.as_deref().map(|t| state.tokens.check(&state, t)) {
        Some(check) => Some(check.await),
        None => None,
    };
    // A client is its token once it shows a good one, its address before.
    let client = match &caller {
        Some(Ok(caller)) => caller.token_id.clone(),
        _ => peer.ip().to_string(),
    };
    if let Err(wait) = state.limiter.take(&client) {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "more than {} requests a second from this client; wait and try again",
                state.settings.rate_limit
            ),
        );
        error.retry_after = Some(wait);
        return error.into_response();
    }
    let Some(need) = need else {
        return next.run(req).await;
    };
    let caller = match caller {
        None => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this needs a token: `Authorization: Bearer TOKEN` (make one with `bosun token create --role readonly`)",
            )
            .into_response();
        }
        Some(Err(e)) => {
            return ApiError::new(StatusCode::UNAUTHORIZED, e.to_string()).into_response();
        }
        Some(Ok(caller)) => caller,
    };
    if caller.role < need {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "a {} token may not do this; it needs a {} token",
                caller.role, need
            ),
        )
        .into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// The token in `Authorization: Bearer …`, or in `?token=` on `/ws`.
fn bearer(req: &Request) -> Option<String> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    if req.uri().path() == "/ws" {
        let query = req.uri().query()?;
        return query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .map(str::to_string);
    }
    None
}

/// The token records, read once and again whenever the store changes (a token made or revoked
/// by `bosun token` in another process counts within the engine's poll interval); a token made
/// since is looked up at once.
#[derive(Debug, Default)]
pub struct TokenCache {
    known: tokio::sync::RwLock<HashMap<String, TokenRecord>>,
}

impl TokenCache {
    /// Who a token is, or why it is refused.
    pub async fn check(&self, state: &ApiState, token: &str) -> Result<Caller, TokenError> {
        let claims = state.key.verify(token, crate::time::unix_now())?;
        let cached = self.known.read().await.get(&claims.jti).cloned();
        let record = match cached {
            Some(record) => record,
            None => {
                let found = tokens::get(&state.store.reader, &claims.jti)
                    .await
                    .ok()
                    .flatten()
                    .ok_or(TokenError::Unknown)?;
                self.known
                    .write()
                    .await
                    .insert(found.id.clone(), found.clone());
                found
            }
        };
        if record.revoked_at.is_some() {
            return Err(TokenError::Revoked);
        }
        // The row's role wins over the claim's: both were written together, by this project.
        let role = Role::parse(&record.role).ok_or(TokenError::Unknown)?;
        Ok(Caller {
            token_id: record.id,
            role,
        })
    }

    /// Why the token `id`, good when a connection opened, no longer is (revoked or expired
    /// since): a WebSocket outlives the request that checked it.
    pub async fn lapsed(&self, id: &str) -> Option<TokenError> {
        let known = self.known.read().await;
        let record = known.get(id)?;
        if record.revoked_at.is_some() {
            return Some(TokenError::Revoked);
        }
        (record.expires_at <= crate::time::now_rfc3339()).then_some(TokenError::Expired)
    }

    /// Reads every record again.
    pub async fn reload(&self, pool: &sqlx::SqlitePool) {
        match tokens::list(pool).await {
            Ok(list) => {
                *self.known.write().await = list.into_iter().map(|t| (t.id.clone(), t)).collect();
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the API's tokens"),
        }
    }
}

/// A token bucket per client: `rate` a second, up to `burst` at once.
#[derive(Debug)]
pub struct Limiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Clients remembered before the idle ones are forgotten.
const MAX_CLIENTS: usize = 10_000;

impl Limiter {
    pub fn new(rate: u32, burst: u32) -> Limiter {
        Limiter {
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(rate).max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request's worth for `client`, or says how many seconds until it may.
    pub fn take(&self, client: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > MAX_CLIENTS {
            let burst = self.burst;
            let rate = self.rate;
            buckets.retain(|_, (level, at)| {
                *level + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (level, at) = buckets
            .entry(client.to_string())
            .or_insert((self.burst, now));
        *level = (*level + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *level) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_burst_waits_and_others_do_not() {
        let limiter = Limiter::new(10, 20);
        for _ in 0..20 {
            assert_eq!(limiter.take("a"), Ok(()));
        }
        assert_eq!(limiter.take("a"), Err(1));
        assert_eq!(limiter.take("b"), Ok(()));
    }

    #[test]
    fn roles_needed_by_route() {
        assert_eq!(required(&Method::GET, "/health"), None);
        assert_eq!(required(&Method::GET, "/api/tasks"), Some(Role::Readonly));
        assert_eq!(required(&Method::GET, "/ws"), Some(Role::Readonly));
        assert_eq!(required(&Method::POST, "/api/tasks"), Some(Role::User));
        assert_eq!(required(&Method::GET, "/api/tokens"), Some(Role::Admin));
        assert!(Role::Readonly < Role::User && Role::User < Role::Admin);
    }
}
