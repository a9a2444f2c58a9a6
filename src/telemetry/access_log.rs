//! The access log: one span per request and one line when its answer is sent, with
//! the latency as a number of milliseconds (so log collectors can sum and compare it)
//! and the status as a number.
//!
//! Health probes (`/healthz`, `/readyz`) arrive every few seconds from every load
//! balancer and orchestrator: their span and their lines are at debug level, so an
//! `info` log shows the traffic of people and programs, not of the probes.

use std::time::Duration;

use axum::http::{Request, Response};
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::trace::{OnFailure, OnResponse};
use tracing::{Level, Span};

/// The request id header, which the HTTP edge sets on every request and the access
/// log records.
pub const REQUEST_ID: &str = "x-request-id";

/// Paths polled by load balancers and orchestrators.
const PROBES: [&str; 2] = ["/healthz", "/readyz"];

/// Whether `path` is a health probe, logged at debug level.
pub fn is_probe(path: &str) -> bool {
    PROBES.contains(&path)
}

/// The span of one request: its id, method and path (never the query string, which
/// may carry identifiers); the tenant is recorded once the credential is checked.
pub fn request_span<B>(req: &Request<B>) -> Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let path = req.uri().path();
    if is_probe(path) {
        tracing::debug_span!(
            "request",
            request_id = %id,
            method = %req.method(),
            path = %path,
            tenant = tracing::field::Empty,
        )
    } else {
        tracing::info_span!(
            "request",
            request_id = %id,
            method = %req.method(),
            path = %path,
            tenant = tracing::field::Empty,
        )
    }
}

/// The level of a request's own lines: the level of its span. A span that is not
/// recorded (its level is filtered out) gives debug, which that filter drops too.
fn level_of(span: &Span) -> Level {
    span.metadata()
        .map(|m| *m.level())
        .filter(|l| *l == Level::INFO)
        .unwrap_or(Level::DEBUG)
}

/// Milliseconds with microsecond precision, as a JSON number.
fn millis(latency: Duration) -> f64 {
    (latency.as_micros() as f64) / 1000.0
}

/// Writes the line that closes a request: status and latency in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogResponse;

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        let status = response.status().as_u16();
        let latency = millis(latency);
        if level_of(span) == Level::INFO {
            tracing::info!(status, latency, "finished processing request");
        } else {
            tracing::debug!(status, latency, "finished processing request");
        }
    }
}

/// Writes the line for a server error or a failed response body, with the latency in
/// milliseconds. Probes' failures stay at debug: a failing readiness probe is the
/// probe doing its job, and the orchestrator reports it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogFailure;

impl OnFailure<ServerErrorsFailureClass> for LogFailure {
    fn on_failure(&mut self, failure: ServerErrorsFailureClass, latency: Duration, span: &Span) {
        let latency = millis(latency);
        let classification = failure.to_string();
        if level_of(span) == Level::INFO {
            tracing::error!(%classification, latency, "response failed");
        } else {
            tracing::debug!(%classification, latency, "response failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_health_probes_are_probes() {
        assert!(is_probe("/healthz"));
        assert!(is_probe("/readyz"));
        assert!(!is_probe("/healthz/extra"));
        assert!(!is_probe("/v1/runs"));
        assert!(!is_probe("/metrics"));
    }

    #[test]
    fn latency_is_milliseconds_with_fractions() {
        assert_eq!(millis(Duration::from_micros(1_500)), 1.5);
        assert_eq!(millis(Duration::from_secs(2)), 2000.0);
    }
}
