//! API errors as RFC 9457 problem details (`application/problem+json`).
//!
//! Handlers return [`ApiError`]; its `IntoResponse` builds the [`Problem`] and puts
//! it in the response's extensions. The problem middleware then writes the body,
//! adding the request id and the instance path, and logs the error chain of 500s.
//! Any other error response (an unknown route, a body over the limit, a timeout) is
//! turned into a problem too, so clients only ever parse one error shape.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::AuthError;
use crate::domain::validation::{FieldProblem, Problems};
use crate::engine::EngineError;
use crate::store::{QueueFull, StoreError};

/// Base of the problem `type` URIs.
pub const PROBLEM_BASE: &str = "https://careflow.dev/problems/";

/// The problem+json media type.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem details document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Stable URI naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    pub kind: String,
    /// Short, stable summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened this time (no patient data).
    pub detail: String,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id, also in the `x-request-id` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Every validation problem, for 422s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

impl Problem {
    /// A problem of `kind` (a slug under [`PROBLEM_BASE`]).
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{PROBLEM_BASE}{kind}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            request_id: None,
            errors: Vec::new(),
        }
    }

    /// The generic problem for a bare status code.
    pub fn for_status(status: StatusCode) -> Self {
        let reason = status.canonical_reason().unwrap_or("Error");
        let (kind, detail) = match status {
            StatusCode::NOT_FOUND => ("not-found", "No such resource."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method-not-allowed",
                "The method is not allowed on this resource.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload-too-large",
                "The request body is larger than the configured limit.",
            ),
            StatusCode::REQUEST_TIMEOUT => (
                "timeout",
                "The request took longer than the configured timeout.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported-media-type",
                "The request body has an unsupported content type.",
            ),
            StatusCode::UNAUTHORIZED => ("unauthorized", "A valid bearer token is required."),
            s if s.is_server_error() => ("internal", "Internal error."),
            _ => ("http", reason),
        };
        Self::new(status, kind, reason, detail)
    }
}

/// Carries the problem from `IntoResponse` to the problem middleware, with the
/// internal error chain (logged, never sent) for 500s.
#[derive(Clone)]
pub struct ProblemExtension {
    /// The problem to write.
    pub problem: Problem,
    /// The error chain behind a 500.
    pub internal: Option<String>,
}

/// Everything a handler can fail with. Each variant names the status and problem
/// type it produces.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422 `validation`: every problem with the request, with JSON pointers.
    #[error("validation failed")]
    Validation(Problems),
    /// 415 `unsupported-media-type`: a body of another content type than the route
    /// reads. Every other request-shape problem is a [`ApiError::Validation`].
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 401 `unauthorized` with `WWW-Authenticate: Bearer`.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// 404 `not-found`: missing, or another tenant's (indistinguishable on purpose).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409 `conflict`: the resource's state forbids the operation.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 413 `payload-too-large`.
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// 429 `too-many-requests` with `Retry-After`.
    #[error("too many requests")]
    TooManyRequests {
        /// Suggested delay.
        retry_after: Duration,
        /// Why.
        detail: String,
    },
    /// 503 `unavailable` with `Retry-After`: the database or a dependency is down,
    /// or the replica is shutting down.
    #[error("unavailable: {detail}")]
    Unavailable {
        /// Suggested delay.
        retry_after: Duration,
        /// Why.
        detail: String,
    },
    /// 503 `unavailable` with `Retry-After` and `WWW-Authenticate: Bearer`: the
    /// bearer token cannot be checked now (its signing keys cannot be fetched).
    #[error("credentials cannot be verified: {0}")]
    CredentialsUnverifiable(String),
    /// 500 `internal`: a bug or an unexpected failure; details are only logged.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result alias of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut internal = None;
        let mut retry_after = None;
        let mut challenge = false;
        let problem = match &self {
            ApiError::Validation(problems) => {
                let n = problems.as_slice().len();
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Request validation failed",
                    format!(
                        "{n} problem{} found in the request.",
                        if n == 1 { "" } else { "s" }
                    ),
                );
                p.errors = problems.as_slice().to_vec();
                p
            }
            ApiError::UnsupportedMediaType(d) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                d.clone(),
            ),
            ApiError::Unauthorized(d) => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                d.clone(),
            ),
            ApiError::NotFound(what) => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!("No such {what}."),
            ),
            ApiError::Conflict(d) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", d.clone())
            }
            ApiError::PayloadTooLarge(d) => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                d.clone(),
            ),
            ApiError::TooManyRequests {
                retry_after: r,
                detail,
            } => {
                retry_after = Some(*r);
                Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-requests",
                    "Too many requests",
                    detail.clone(),
                )
            }
            ApiError::Unavailable {
                retry_after: r,
                detail,
            } => {
                retry_after = Some(*r);
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    detail.clone(),
                )
            }
            ApiError::CredentialsUnverifiable(d) => {
                retry_after = Some(Duration::from_secs(5));
                challenge = true;
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    format!("The bearer token cannot be verified now: {d}"),
                )
            }
            ApiError::Internal(e) => {
                internal = Some(chain(e.as_ref()));
                Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        };
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        if let Some(r) = retry_after {
            let secs = r.as_secs().max(1).to_string();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"careflow\""),
            );
        }
        response
            .extensions_mut()
            .insert(ProblemExtension { problem, internal });
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("resource"),
            StoreError::Conflict(c) => {
                ApiError::Conflict(format!("conflicts with an existing resource ({c})"))
            }
            StoreError::Unavailable(_) | StoreError::Connect { .. } => ApiError::Unavailable {
                retry_after: Duration::from_secs(5),
                detail: "The database is unavailable.".into(),
            },
            e @ (StoreError::LeaseLost
            | StoreError::Database(_)
            | StoreError::Migration(_)
            | StoreError::Corrupt(_)) => ApiError::Internal(Box::new(e)),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownWorkflow(_) => ApiError::NotFound("workflow"),
            EngineError::Invalid(p) => ApiError::Validation(p),
            EngineError::NotFound => ApiError::NotFound("run"),
            EngineError::Backlogged { retry_after, full } => ApiError::TooManyRequests {
                retry_after,
                detail: match full {
                    QueueFull::Shared => "The work queue is full; retry later.",
                    QueueFull::Tenant => {
                        "Your tenant's share of the work queue is full; retry later."
                    }
                }
                .into(),
            },
            EngineError::ShuttingDown => ApiError::Unavailable {
                retry_after: Duration::from_secs(1),
                detail: "This replica is shutting down; retry on another.".into(),
            },
            EngineError::KeyReused { run_id } => {
                let mut p = Problems::new();
                p.push(
                    "/headers/idempotency-key",
                    format!(
                        "was already used for a different request (run {run_id}); \
                         use a new key for a new request"
                    ),
                );
                ApiError::Validation(p)
            }
            EngineError::InvalidState(d) => ApiError::Conflict(d),
            EngineError::Store(s) => s.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing | AuthError::Invalid(_) => ApiError::Unauthorized(e.to_string()),
            AuthError::Store(s) => s.into(),
            AuthError::KeysUnavailable(d) => {
                ApiError::CredentialsUnverifiable(format!("signing keys unavailable ({d})"))
            }
        }
    }
}
