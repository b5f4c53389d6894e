//! The API's errors, as DESIGN.md §10 says: `{"error": "…"}` with 400 (not JSON), 401, 403,
//! 404, 409, 413, 422 (JSON that does not validate) and 429; and [`JsonBody`] and
//! [`QueryParams`], the extractors that tell those apart where axum's `Json` and `Query` would
//! answer in plain text.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// An error answered as `{"error": message}` with `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds to wait, for a 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    /// The disk is full: the request needs a write, and nothing can be saved (503).
    pub fn disk_full(reason: &str, outcome: &str) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            crate::engine::disk_full_refusal(reason, outcome),
        )
    }

    /// Something on Bosun's side failed (the store); logged, and said without detail.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %error, "an API request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Bosun could not do this: {error}"),
        )
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

/// The body of every error.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// One or two plain sentences.
    pub error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was not read, so the connection cannot carry another
            // request: said, so that a keep-alive client does not send its next one into it.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// A JSON request body: 413 past the body limit, 400 when it is not JSON, 422 when it is JSON
/// of the wrong shape (with the field that is wrong). The content type is not required.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e: BytesRejection| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "the request body is larger than the API accepts (api.body_limit, 1 MiB by default)",
                    )
                } else {
                    ApiError::bad_request(e.body_text())
                }
            })?;
        // Read as JSON first, so that what is not JSON at all is told apart from JSON of the
        // wrong shape, wherever in the body the first problem lies.
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| refused(e, "."))?;
        let value: T = serde_path_to_error::deserialize(json).map_err(|e| {
            let path = e.path().to_string();
            refused(e.into_inner(), &path)
        })?;
        Ok(JsonBody(value))
    }
}

/// A query string: 422, saying what is wrong (`limit=ten`, a parameter given twice), where
/// axum's `Query` would answer 400 in plain text.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::invalid(e.body_text()))?;
        Ok(QueryParams(value))
    }
}

/// 422 for JSON of the wrong shape, 400 for what is not JSON at all.
fn refused(error: serde_json::Error, path: &str) -> ApiError {
    let at = |what: &str| match path {
        "." | "" => format!("{what}: {error}"),
        _ => format!("{what} at `{path}`: {error}"),
    };
    match error.classify() {
        serde_json::error::Category::Data => ApiError::invalid(at("the body does not fit")),
        _ => ApiError::bad_request(at("the body is not JSON")),
    }
}

/// The answer for a path no route serves.
pub async fn no_route() -> ApiError {
    ApiError::not_found("no such endpoint; the API is described at /api/openapi.json")
}
