//! Failures of outbound calls, classified into a small set of kinds a caller can
//! record and act on (retry or give up). Messages name hosts and addresses but
//! never URLs, since query strings may carry tokens.

use std::error::Error as StdError;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::response::OutboundResponse;

/// Why an outbound call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OutboundError {
    /// The call did not finish (connect, headers and body) within its time limit.
    #[error("request timed out: {0}")]
    Timeout(String),
    /// The connection could not be made or broke during the exchange.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The host name could not be resolved.
    #[error("name resolution failed: {0}")]
    Dns(String),
    /// The destination (or a redirect hop) is refused by the outbound policy.
    #[error("refused by outbound policy: {0}")]
    RefusedByPolicy(String),
    /// The server answered with a status outside 2xx; the response is kept.
    #[error("server answered with status {}", .0.status)]
    HttpStatus(Box<OutboundResponse>),
    /// The request itself cannot be sent (bad header, URL without host, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The HTTP client could not be built.
    #[error("outbound client setup failed: {0}")]
    Setup(String),
    /// The host's circuit breaker is open: nothing was sent; try again after
    /// `retry_after`.
    #[error("{host} is unavailable (circuit open); not sent")]
    CircuitOpen {
        /// The host whose breaker refused the call.
        host: String,
        /// When the breaker lets a trial call through.
        retry_after: Duration,
    },
}

/// The kind of an [`OutboundError`], serialized snake_case (`refused_by_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboundErrorKind {
    /// See [`OutboundError::Timeout`].
    Timeout,
    /// See [`OutboundError::Connect`].
    Connect,
    /// See [`OutboundError::Dns`].
    Dns,
    /// See [`OutboundError::RefusedByPolicy`].
    RefusedByPolicy,
    /// See [`OutboundError::HttpStatus`].
    HttpStatus,
    /// See [`OutboundError::InvalidRequest`].
    InvalidRequest,
    /// See [`OutboundError::Setup`].
    Setup,
    /// See [`OutboundError::CircuitOpen`].
    CircuitOpen,
}

impl OutboundError {
    /// The kind of failure.
    pub fn kind(&self) -> OutboundErrorKind {
        match self {
            Self::Timeout(_) => OutboundErrorKind::Timeout,
            Self::Connect(_) => OutboundErrorKind::Connect,
            Self::Dns(_) => OutboundErrorKind::Dns,
            Self::RefusedByPolicy(_) => OutboundErrorKind::RefusedByPolicy,
            Self::HttpStatus(_) => OutboundErrorKind::HttpStatus,
            Self::InvalidRequest(_) => OutboundErrorKind::InvalidRequest,
            Self::Setup(_) => OutboundErrorKind::Setup,
            Self::CircuitOpen { .. } => OutboundErrorKind::CircuitOpen,
        }
    }

    /// A human-readable description, free of URLs and header values.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The response, when the server answered with a non-2xx status.
    pub fn response(&self) -> Option<&OutboundResponse> {
        match self {
            Self::HttpStatus(response) => Some(response),
            _ => None,
        }
    }

    /// True for failures worth retrying: timeouts, connection and resolution
    /// failures, 5xx and 429 answers.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout(_) | Self::Connect(_) | Self::Dns(_) | Self::CircuitOpen { .. } => true,
            Self::HttpStatus(response) => response.status >= 500 || response.status == 429,
            Self::RefusedByPolicy(_) | Self::InvalidRequest(_) | Self::Setup(_) => false,
        }
    }

    /// How long the server asked us to wait (`Retry-After` in seconds or as an
    /// HTTP date), when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        if let Self::CircuitOpen { retry_after, .. } = self {
            return Some(*retry_after);
        }
        let value = self.response()?.header("retry-after")?;
        parse_retry_after(value, Utc::now())
    }
}

fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Classifies a reqwest failure. Errors raised by our own resolver or redirect
/// guard travel inside reqwest's error chain and are recovered unchanged.
pub(crate) fn from_reqwest(err: &reqwest::Error, host: &str) -> OutboundError {
    if let Some(own) = find_own(err) {
        return own;
    }
    let detail = describe(err);
    if err.is_timeout() {
        OutboundError::Timeout(format!("{host}: {detail}"))
    } else if err.is_builder() {
        OutboundError::InvalidRequest(detail)
    } else {
        OutboundError::Connect(format!("{host}: {detail}"))
    }
}

fn find_own(err: &(dyn StdError + 'static)) -> Option<OutboundError> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(own) = e.downcast_ref::<OutboundError>() {
            return Some(own.clone());
        }
        current = e.source();
    }
    None
}

/// The error chain as text, without the URL reqwest puts in its own message.
fn describe(err: &reqwest::Error) -> String {
    let mut parts = vec![redact_url(err)];
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

fn redact_url(err: &reqwest::Error) -> String {
    let text = err.to_string();
    match err.url() {
        Some(url) => text.replace(&format!(" for url ({url})"), ""),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_error(status: u16, retry_after: Option<&str>) -> OutboundError {
        let headers = retry_after
            .map(|v| vec![("retry-after".to_string(), v.to_string())])
            .unwrap_or_default();
        OutboundError::HttpStatus(Box::new(OutboundResponse {
            status,
            headers,
            body_size: 0,
            body_excerpt: String::new(),
            latency_ms: 1,
        }))
    }

    #[test]
    fn kinds_serialize_snake_case() {
        let kind = OutboundError::RefusedByPolicy("x".into()).kind();
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            serde_json::json!("refused_by_policy")
        );
        assert_eq!(
            serde_json::to_value(status_error(500, None).kind()).unwrap(),
            serde_json::json!("http_status")
        );
    }

    #[test]
    fn server_errors_and_rate_limits_are_retryable_but_client_errors_and_refusals_are_not() {
        let table = [
            ("503", status_error(503, None), true),
            ("429", status_error(429, None), true),
            ("404", status_error(404, None), false),
            ("302 after redirect limit", status_error(302, None), false),
            ("timeout", OutboundError::Timeout("t".into()), true),
            ("connect", OutboundError::Connect("c".into()), true),
            ("refusal", OutboundError::RefusedByPolicy("r".into()), false),
            ("invalid", OutboundError::InvalidRequest("i".into()), false),
        ];
        for (case, err, expected) in table {
            assert_eq!(err.is_retryable(), expected, "{case}");
        }
    }

    #[test]
    fn retry_after_is_read_as_seconds() {
        let err = status_error(503, Some("120"));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
        assert_eq!(status_error(503, None).retry_after(), None);
        assert_eq!(status_error(503, Some("soon")).retry_after(), None);
    }

    #[test]
    fn retry_after_is_read_as_an_http_date() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let later = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now);
        assert_eq!(later, Some(Duration::from_secs(60)));
        let past = parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now);
        assert_eq!(past, Some(Duration::ZERO));
    }
}
