//! The API's signed tokens: JWTs (RFC 7519) signed with HMAC-SHA-256 under a key that lives in
//! `.bosun/state/api.key` (mode 0600, made on first use). A token carries its id (`jti`), its
//! role and its expiry; the project's `api_tokens` table says whether it still stands (made
//! here, not revoked). Only `HS256` is accepted: a token that names another algorithm, `none`
//! included, is refused before anything else is read.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The signing key's length in bytes.
const KEY_LEN: usize = 32;
/// The header every token carries; anything else is refused.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// What a token may do: each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read: every GET, `/ws`, `/metrics`.
    Readonly,
    /// Also submit, cancel and answer.
    User,
    /// Also manage tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Readonly => "readonly",
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "readonly" => Some(Role::Readonly),
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The token's id: its row in `api_tokens`.
    pub jti: String,
    pub role: Role,
    /// Made at and valid until, in seconds since the epoch.
    pub iat: i64,
    pub exp: i64,
}

/// Why a token was refused (the API answers 401 with this).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a Bosun token (three dot-separated parts, signed with HS256)")]
    Malformed,
    #[error("the token's signature does not match: it was not made by this project")]
    Forged,
    #[error("the token expired")]
    Expired,
    #[error("the token was revoked")]
    Revoked,
    #[error("the token is not known to this project")]
    Unknown,
}

/// The project's signing key.
#[derive(Clone)]
pub struct SigningKey([u8; KEY_LEN]);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

impl SigningKey {
    /// Reads the key at `path`, making it (mode 0600) when there is none. A key file others
    /// may read is tightened to 0600 and said so.
    pub fn load_or_create(path: &Path) -> std::io::Result<SigningKey> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
                if mode != 0o600 {
                    tracing::warn!(path = %path.display(), "the API key was mode {mode:o}; tightened to 0600");
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                }
                let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
                    std::io::Error::other(format!(
                        "{} is not a Bosun API key ({} bytes, not {KEY_LEN}); remove it to make a new one (every token made with it stops working)",
                        path.display(),
                        bytes.len()
                    ))
                })?;
                Ok(SigningKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SigningKey::create(path),
            Err(e) => Err(e),
        }
    }

    fn create(path: &Path) -> std::io::Result<SigningKey> {
        let mut key = [0u8; KEY_LEN];
        std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut key)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match file {
            Ok(mut file) => {
                file.write_all(&key)?;
                file.sync_all()?;
                Ok(SigningKey(key))
            }
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                SigningKey::load_or_create(path)
            }
            Err(e) => Err(e),
        }
    }

    #[cfg(test)]
    pub fn fixed(byte: u8) -> SigningKey {
        SigningKey([byte; KEY_LEN])
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length; 32 bytes never fails.
        <HmacSha256 as KeyInit>::new_from_slice(&self.0).expect("HMAC accepts any key length")
    }

    /// The signed token for `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let signed = format!("{}.{}", B64.encode(HEADER), B64.encode(payload));
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        let signature = mac.finalize().into_bytes();
        format!("{signed}.{}", B64.encode(signature))
    }

    /// The claims of `token` when its signature is this key's and it has not expired at `now`
    /// (seconds since the epoch). Whether it was revoked is the caller's to ask.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header = B64.decode(header).map_err(|_| TokenError::Malformed)?;
        let header: serde_json::Value =
            serde_json::from_slice(&header).map_err(|_| TokenError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(TokenError::Malformed);
        }
        let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(&token.as_bytes()[..token.len() - signature_len(token)]);
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Forged)?;
        let payload = B64.decode(payload).map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// The length of the last part of `token` and the dot before it.
fn signature_len(token: &str) -> usize {
    token.rfind('.').map_or(0, |dot| token.len() - dot)
}

/// A new token id: `tok-` and a ULID, sortable by when it was made.
pub fn new_id() -> String {
    format!("tok-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A new token for `role`, valid for `ttl`: its record (to commit) and the signed token (to
/// show once).
pub fn mint(
    key: &SigningKey,
    role: Role,
    ttl: std::time::Duration,
    name: Option<String>,
    created_by: String,
) -> Result<(crate::store::tokens::TokenRecord, String), String> {
    let now = time::OffsetDateTime::now_utc();
    let ttl_secs = i64::try_from(ttl.as_secs()).map_err(|_| "the ttl is too long".to_string())?;
    if ttl_secs < 1 {
        return Err("a token must be valid for at least a second".into());
    }
    let expires = now
        .checked_add(time::Duration::seconds(ttl_secs))
        .filter(|at| at.year() < 10_000)
        .ok_or_else(|| "the ttl is too long".to_string())?;
    let claims = Claims {
        jti: new_id(),
        role,
        iat: now.unix_timestamp(),
        exp: expires.unix_timestamp(),
    };
    let token = key.sign(&claims);
    let record = crate::store::tokens::TokenRecord {
        id: claims.jti,
        role: role.as_str().to_string(),
        name,
        created_at: crate::time::format_rfc3339(now),
        expires_at: crate::time::format_rfc3339(expires),
        revoked_at: None,
        created_by,
    };
    Ok((record, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            jti: "tok-1".into(),
            role: Role::User,
            iat: 100,
            exp,
        }
    }

    #[test]
    fn a_token_verifies_with_its_key_until_it_expires() {
        let key = SigningKey::fixed(7);
        let token = key.sign(&claims(1_000));
        assert_eq!(key.verify(&token, 999), Ok(claims(1_000)));
        assert_eq!(key.verify(&token, 1_000), Err(TokenError::Expired));
        assert_eq!(
            SigningKey::fixed(8).verify(&token, 999),
            Err(TokenError::Forged)
        );
    }

    #[test]
    fn a_changed_payload_or_another_algorithm_is_refused() {
        let key = SigningKey::fixed(7);
        let token = key.sign(&claims(1_000));
        let parts: Vec<&str> = token.split('.').collect();
        let admin = B64.encode(r#"{"jti":"tok-1","role":"admin","iat":100,"exp":1000}"#);
        let raised = format!("{}.{admin}.{}", parts[0], parts[2]);
        assert_eq!(key.verify(&raised, 999), Err(TokenError::Forged));
        let none = format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), parts[1]);
        assert_eq!(key.verify(&none, 999), Err(TokenError::Malformed));
        assert_eq!(key.verify("not-a-token", 999), Err(TokenError::Malformed));
        assert_eq!(key.verify("a.b.c.d", 999), Err(TokenError::Malformed));
    }

    #[test]
    fn the_key_file_is_made_private_and_read_back() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("state/api.key");
        let key = SigningKey::load_or_create(&path).expect("test setup");
        let mode = std::fs::metadata(&path)
            .expect("test setup")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        let again = SigningKey::load_or_create(&path).expect("test setup");
        let token = key.sign(&claims(1_000));
        assert!(again.verify(&token, 1).is_ok());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .expect("test setup");
        SigningKey::load_or_create(&path).expect("test setup");
        let mode = std::fs::metadata(&path)
            .expect("test setup")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
}
