//! Request bodies in, errors out.
//!
//! [`read_body`] is the one way a handler reads a body: the content type is checked and
//! the size limit enforced before anything is parsed. [`ApiError`] is the JSON API's
//! error, rendered as `application/problem+json` (RFC 9457) with a short, safe detail;
//! the cause is logged once where it is handled, without content.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    WrongContentType,
    TooLarge,
}

/// The media type of a request, lower-cased, without parameters.
pub(super) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// Reads a body of `expected` media type and at most `max` bytes.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    expected: &str,
    max: usize,
) -> Result<Bytes, BodyError> {
    if media_type(headers).as_deref() != Some(expected) {
        return Err(BodyError::WrongContentType);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge);
    }
    // Also bounds a chunked body that declared no length.
    axum::body::to_bytes(body, max)
        .await
        .map_err(|_| BodyError::TooLarge)
}

/// One failing field in a problem response.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ProblemField {
    pub field: String,
    pub code: &'static str,
    pub message: String,
    /// For `sensitive`: the kinds of sensitive data the content guard found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<&'static str>,
}

/// An error of the JSON API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<ProblemField>,
    /// Seconds to wait before trying again, sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ProblemField],
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthenticated",
            "Send a valid caseworker token as 'Authorization: Bearer …'.",
        )
    }

    pub fn forbidden() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "You are not a caseworker of this queue.",
        )
    }

    /// A store that failed: 503 while the database cannot be reached, so that a client
    /// tries again shortly; otherwise an internal error.
    pub fn store(what: &str, err: &crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        if !matches!(err, StoreError::Database(_) | StoreError::Closed) {
            return ApiError::internal(what, err);
        }
        tracing::error!(error = %err, "{what}");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "The database cannot be reached just now. Nothing was stored. Try again shortly.",
        )
    }

    /// A failure on our side: logged here, once, and answered without detail.
    pub fn internal(what: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{what}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "Nothing was stored. Try again shortly.",
        )
    }
}

impl From<BodyError> for ApiError {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::WrongContentType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                "Send the body as application/json.",
            ),
            BodyError::TooLarge => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload too large",
                "The body is larger than this server accepts.",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            errors: &self.errors,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
