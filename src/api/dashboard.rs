//! The web dashboard: static files compiled into the binary, served open (they hold no data;
//! the page asks for a token and reads everything through the API, live over `/ws`).
//!
//! Every file goes out with its content type, `Cache-Control: no-cache` (a new binary serves
//! new files at once; the `ETag` spares the bytes when nothing changed) and a Content-Security-
//! Policy that allows no inline script or style and no origin but this one, so text from tasks
//! can never run as code in the page even if a bug put it into markup.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::ApiState;

/// What the page may load and where it may connect: itself and its WebSocket.
pub const CSP: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// One static file.
struct Asset {
    body: &'static str,
    content_type: &'static str,
    etag: &'static str,
}

/// A strong `ETag` for a file, made when the binary is compiled: 64-bit FNV-1a of its bytes.
const fn fnv(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// `"` + 16 hex digits + `"`, at compile time.
const fn etag_of(text: &str) -> [u8; 18] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = fnv(text);
    let mut out = [b'"'; 18];
    let mut i = 0;
    while i < 16 {
        out[1 + i] = HEX[((hash >> (60 - 4 * i)) & 0xf) as usize];
        i += 1;
    }
    out
}

macro_rules! asset {
    ($file:literal, $type:literal) => {{
        const BODY: &str = include_str!(concat!("dashboard/", $file));
        const TAG: [u8; 18] = etag_of(BODY);
        Asset {
            body: BODY,
            content_type: $type,
            // Hex digits and quotes only: always UTF-8.
            etag: match std::str::from_utf8(&TAG) {
                Ok(tag) => tag,
                Err(_) => "\"0\"",
            },
        }
    }};
}

const INDEX: Asset = asset!("index.html", "text/html; charset=utf-8");
const APP: Asset = asset!("app.js", "text/javascript; charset=utf-8");
const VIEW: Asset = asset!("view.js", "text/javascript; charset=utf-8");
const STYLE: Asset = asset!("style.css", "text/css; charset=utf-8");
const ICON: Asset = asset!("icon.svg", "image/svg+xml");

/// Whether `path` is one of the dashboard's static files (served without a token).
pub fn is_static(path: &str) -> bool {
    path == "/" || path.starts_with("/dashboard/")
}

/// The dashboard's routes.
pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/", get(|h: HeaderMap| serve(&INDEX, h)))
        .route("/dashboard/app.js", get(|h: HeaderMap| serve(&APP, h)))
        .route("/dashboard/view.js", get(|h: HeaderMap| serve(&VIEW, h)))
        .route("/dashboard/style.css", get(|h: HeaderMap| serve(&STYLE, h)))
        .route("/dashboard/icon.svg", get(|h: HeaderMap| serve(&ICON, h)))
}

/// The file, or 304 when the browser's copy (`If-None-Match`) is this one.
async fn serve(asset: &'static Asset, request: HeaderMap) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == asset.etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.into_response()
    };
    let headers = response.headers_mut();
    let set = [
        (header::CONTENT_TYPE, asset.content_type),
        (header::CACHE_CONTROL, "no-cache"),
        (header::ETAG, asset.etag),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_quoted_hex_and_differ_by_content() {
        assert_eq!(INDEX.etag.len(), 18);
        assert!(INDEX.etag.starts_with('"') && INDEX.etag.ends_with('"'));
        assert!(INDEX.etag[1..17].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(INDEX.etag, APP.etag);
        // FNV-1a's published test vector.
        assert_eq!(fnv("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn only_the_page_and_its_files_are_open() {
        assert!(is_static("/"));
        assert!(is_static("/dashboard/app.js"));
        assert!(!is_static("/api/tasks"));
        assert!(!is_static("/ws"));
    }

    #[test]
    fn no_file_runs_inline_script_or_style() {
        for asset in [&INDEX, &APP, &VIEW, &STYLE, &ICON] {
            assert!(!asset.body.contains("innerHTML"), "{}", asset.content_type);
        }
        assert!(!INDEX.body.contains("<script>"));
        assert!(!INDEX.body.contains("style="));
        // No inline handler (` onclick=`): the policy would refuse it anyway.
        let handlers = INDEX.body.split(" on").skip(1).filter(|rest| {
            let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
            !name.is_empty() && rest[name.len()..].starts_with('=')
        });
        assert_eq!(handlers.count(), 0);
    }
}
