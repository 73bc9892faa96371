//! Every API error, and its one mapping to HTTP: an `application/problem+json` body
//! (RFC 9457) with a stable `code`, and the offending `field` where there is one.
//!
//! A dependency outage (a shard or the catalog down, a stale route during a move) is 503
//! with `Retry-After`, never 500; 500 is reserved for bugs and never carries internals.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use link_core::FieldError;
use link_store::StoreError;
use serde::Serialize;
use shard_router::RouterError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A value failed validation.
    #[error(transparent)]
    Invalid(#[from] FieldError),

    /// The body is not JSON, or not of the expected shape.
    #[error("malformed request body: {0}")]
    MalformedBody(String),

    #[error("request body too large (at most 1 MB)")]
    PayloadTooLarge,

    /// No key, an unknown key or a revoked key.
    #[error("missing, unknown or revoked key")]
    Unauthorized,

    /// A valid key of the wrong kind (an SDK key on the developer API).
    #[error("{0}")]
    Forbidden(&'static str),

    /// Nothing of that kind here, including another app's things.
    #[error("{0} not found")]
    NotFound(&'static str),

    /// The path exists, the method does not; `allow` lists the methods it has.
    #[error("method not allowed here (allowed: {allow})")]
    MethodNotAllowed { allow: String },

    /// The request conflicts with existing state (`code` says how).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },

    #[error("rate limit exceeded")]
    RateLimited { retry_after_secs: u64 },

    /// A shard or the catalog cannot answer now.
    #[error("temporarily unavailable")]
    Unavailable,

    /// A bug. Logged with its cause at the boundary; the client sees no detail.
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_field",
            Self::MalformedBody(_) => "malformed_body",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Conflict { code, .. } => code,
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "Invalid field",
            Self::MalformedBody(_) => "Malformed request body",
            Self::PayloadTooLarge => "Payload too large",
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden(_) => "Forbidden",
            Self::NotFound(_) => "Not found",
            Self::MethodNotAllowed { .. } => "Method not allowed",
            Self::Conflict { .. } => "Conflict",
            Self::RateLimited { .. } => "Too many requests",
            Self::Unavailable => "Service unavailable",
            Self::Internal(_) => "Internal error",
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid(_) | Self::MalformedBody(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let Self::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        let detail: Cow<'_, str> = match self {
            Self::Internal(_) => Cow::Borrowed("an unexpected error occurred"),
            Self::Invalid(e) => Cow::Borrowed(&e.reason),
            other => Cow::Owned(other.to_string()),
        };
        let problem = Problem {
            kind: format!("https://hoplink.dev/problems/{}", self.code()),
            title: self.title(),
            status: status.as_u16(),
            code: self.code(),
            detail,
            field: match self {
                Self::Invalid(e) => Some(&e.field),
                _ => None,
            },
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            Self::Unavailable => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("2")));
            }
            Self::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            Self::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            Self::Unauthorized => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"hoplink\""),
                ));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl From<RouterError> for ApiError {
    fn from(error: RouterError) -> Self {
        match error {
            RouterError::Invalid(e) => Self::Invalid(e),
            RouterError::DomainTaken(host) => Self::conflict(
                "domain_taken",
                format!("domain {host} is already registered"),
            ),
            RouterError::ShardExists(id) => {
                Self::conflict("shard_exists", format!("a shard named {id} already exists"))
            }
            RouterError::UnknownShard(_) => Self::NotFound("shard"),
            RouterError::ShardNotActive(id) => {
                Self::conflict("shard_not_active", format!("shard {id} is not active"))
            }
            RouterError::UnknownApp(_) => Self::NotFound("app"),
            RouterError::NoActiveShard => {
                Self::conflict("no_active_shard", "no active shard to place the app on")
            }
            e if e.is_unavailable() => {
                tracing::warn!(error = %shard_router::error::chain(&e), "dependency unavailable");
                Self::Unavailable
            }
            e => Self::Internal(shard_router::error::chain(&e)),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Invalid(e) => Self::Invalid(e),
            StoreError::AliasTaken(code) => Self::conflict(
                "alias_taken",
                format!("the alias {code} is already taken by another link"),
            ),
            StoreError::Router(e) => e.into(),
            // The shard answered; a retry would read the same row again, so this is no
            // outage and carries no Retry-After.
            StoreError::Shard(sqlx::Error::ColumnDecode { index, source }) => {
                tracing::warn!(column = %index, error = %source, "a stored row could not be read");
                Self::conflict(
                    "unreadable_row",
                    format!(
                        "the stored value of {index} cannot be read ({source}); it was written \
                         past the API's checks and has to be repaired in the shard's database"
                    ),
                )
            }
            StoreError::Shard(e @ sqlx::Error::Decode(_)) => {
                tracing::warn!(error = %shard_router::error::chain(&e), "a stored row could not be read");
                Self::conflict(
                    "unreadable_row",
                    "a stored row cannot be read; it has to be repaired in the shard's database",
                )
            }
            StoreError::Shard(e) => {
                tracing::warn!(error = %shard_router::error::chain(&e), "shard query failed");
                Self::Unavailable
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Shard(error).into()
    }
}

/// Maps actix's JSON extractor errors (malformed, wrong type, too large) to problems.
pub fn json_error(
    error: actix_web::error::JsonPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    match error {
        E::Overflow { .. } | E::OverflowKnownLength { .. } => ApiError::PayloadTooLarge.into(),
        E::ContentType => {
            ApiError::MalformedBody("expected Content-Type: application/json".into()).into()
        }
        E::Deserialize(e) => ApiError::MalformedBody(e.to_string()).into(),
        other => ApiError::MalformedBody(other.to_string()).into(),
    }
}

pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::MalformedBody(format!("bad query string: {error}")).into()
}

pub fn path_error(
    error: actix_web::error::PathError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::MalformedBody(format!("bad path: {error}")).into()
}
