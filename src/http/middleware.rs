//! Middleware: problem+json bodies for every error, request metrics, authentication,
//! and the answer to a panicking handler.

use std::any::Any;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, PROBLEM_JSON, Problem, ProblemExtension};

pub use crate::telemetry::access_log::REQUEST_ID;

/// The longest client-chosen request id kept; longer ones are replaced.
pub const REQUEST_ID_MAX_LEN: usize = 128;

/// Removes a client's `x-request-id` unless it is 1..=128 visible ASCII characters
/// (0x21-0x7E), so a generated one takes its place. Ids are echoed and written to
/// every log line: a huge one would bloat them, and spaces or quotes could plant
/// fake fields (`tenant="..."`) in text logs.
pub async fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = req
        .headers()
        .get(REQUEST_ID)
        .is_none_or(|v| is_usable_request_id(v.as_bytes()));
    if !usable {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

/// 1..=128 bytes, each a visible ASCII character.
fn is_usable_request_id(id: &[u8]) -> bool {
    (1..=REQUEST_ID_MAX_LEN).contains(&id.len()) && id.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// The metric label of a method: the standard ones by name, any other `other`, so
/// made-up methods cannot add a series each.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Writes problem+json bodies: from an [`ApiError`]'s extension, or a generic one
/// for any other error response. Logs the chain behind 500s once, here.
pub async fn problem_details(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let path = req.uri().path().to_string();
    let mut response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return response;
    }
    let ext = response.extensions_mut().remove::<ProblemExtension>();
    let (mut problem, internal) = match ext {
        Some(ProblemExtension { problem, internal }) => (problem, internal),
        None => (Problem::for_status(status), None),
    };
    if let Some(chain) = internal {
        tracing::error!(error = %chain, status = status.as_u16(), "request failed");
    }
    problem.instance = Some(path);
    problem.request_id = request_id;
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let (mut parts, _) = response.into_parts();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    if status == StatusCode::UNAUTHORIZED {
        parts.headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"careflow\""),
        );
    }
    Response::from_parts(parts, Body::from(body))
}

/// Counts requests and their latency by route template and status.
pub async fn record_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [
        ("method", method),
        ("route", route.as_str()),
        ("status", status.as_str()),
    ];
    state.metrics.count(
        "careflow_http_requests_total",
        "HTTP requests served.",
        &labels,
        1.0,
    );
    state.metrics.observe(
        "careflow_http_request_duration_seconds",
        "HTTP request latency until the response head.",
        &[("method", method), ("route", route.as_str())],
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Requires a valid bearer token; puts the [`crate::auth::Principal`] in the
/// request's extensions.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let header_value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match state.auth.authenticate(header_value).await {
        Ok(principal) => {
            tracing::Span::current().record("tenant", principal.tenant.as_str());
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The answer to a handler that panicked: a 500 problem. The process keeps serving.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    tracing::error!(panic = %what, "a request handler panicked");
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(ProblemExtension {
        problem: Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR),
        internal: None,
    });
    response
}
