//! Errors of the FHIR client and their retry classification.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

/// Longest diagnostics text kept per `OperationOutcome` issue.
const MAX_DIAGNOSTIC_CHARS: usize = 500;

/// Everything that can go wrong talking to the FHIR server.
#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// The configured base URL cannot be used.
    #[error("invalid FHIR base URL: {0}")]
    InvalidBaseUrl(String),
    /// A resource id is not a valid FHIR id (`[A-Za-z0-9-.]{1,64}`).
    #[error("invalid FHIR resource id")]
    InvalidId,
    /// The server answered with a non-success HTTP status.
    #[error("FHIR server answered HTTP {status}{}", render_diagnostics(.diagnostics))]
    Status {
        /// The HTTP status code.
        status: u16,
        /// `diagnostics` (or `details.text`) of each `OperationOutcome` issue, if any.
        diagnostics: Vec<String>,
        /// The delay the server asked for in `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The request did not complete (connection refused, reset, timeout...).
    #[error("FHIR request failed: {0}")]
    Transport(#[source] reqwest::Error),
    /// The server's answer is not the JSON resource expected.
    #[error("FHIR response is not valid: {0}")]
    Decode(String),
    /// The response body is larger than the client accepts.
    #[error("FHIR response body exceeds {limit} bytes")]
    BodyTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// A `next` link (or a redirect) points outside the configured server.
    #[error("FHIR server pointed to another origin ({origin}); refusing to follow it")]
    ForeignNextLink {
        /// Scheme, host and port of the refused URL.
        origin: String,
    },
    /// A search needed more pages than the configured limit.
    #[error("FHIR search needed more than {limit} pages")]
    TooManyPages {
        /// The configured page limit.
        limit: usize,
    },
    /// A `next` link leads back to a page already read.
    #[error("FHIR search next link leads back to a page already read")]
    PagingLoop,
}

impl FhirError {
    /// True when trying again later may succeed: transport failures, HTTP 408, 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            FhirError::Status { status, .. } => {
                *status == 408 || *status == 429 || (500..=599).contains(status)
            }
            FhirError::Transport(e) => !e.is_builder(),
            _ => false,
        }
    }

    /// The delay the server asked for (`Retry-After`), when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FhirError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A transport error, with the URL stripped (URLs carry search parameters).
    pub(crate) fn transport(e: reqwest::Error) -> Self {
        FhirError::Transport(e.without_url())
    }

    /// A decoding error that names the place, never the offending value (it may be PHI).
    pub(crate) fn decode(what: &str, e: &serde_json::Error) -> Self {
        FhirError::Decode(format!(
            "{what}: {:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    }
}

fn render_diagnostics(diagnostics: &[String]) -> String {
    if diagnostics.is_empty() {
        String::new()
    } else {
        format!(": {}", diagnostics.join("; "))
    }
}

/// Reads `Retry-After` as delay seconds or an HTTP date.
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OperationOutcome {
    resource_type: Option<String>,
    #[serde(default)]
    issue: Vec<OutcomeIssue>,
}

#[derive(Deserialize)]
struct OutcomeIssue {
    diagnostics: Option<String>,
    details: Option<OutcomeDetails>,
}

#[derive(Deserialize)]
struct OutcomeDetails {
    text: Option<String>,
}

/// The issue texts of an `OperationOutcome` body; empty when the body is something else.
pub(crate) fn outcome_diagnostics(body: &[u8]) -> Vec<String> {
    let Ok(outcome) = serde_json::from_slice::<OperationOutcome>(body) else {
        return Vec::new();
    };
    if outcome.resource_type.as_deref() != Some("OperationOutcome") {
        return Vec::new();
    }
    outcome
        .issue
        .into_iter()
        .filter_map(|i| i.diagnostics.or(i.details.and_then(|d| d.text)))
        .map(|d| d.chars().take(MAX_DIAGNOSTIC_CHARS).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn status(code: u16) -> FhirError {
        FhirError::Status {
            status: code,
            diagnostics: vec![],
            retry_after: None,
        }
    }

    #[test]
    fn server_errors_and_throttling_are_retryable_but_client_errors_are_not() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(status(code).is_retryable(), "{code}");
        }
        for code in [400, 401, 403, 404, 410, 422] {
            assert!(!status(code).is_retryable(), "{code}");
        }
        assert!(!FhirError::Decode("x".into()).is_retryable());
        assert!(!FhirError::PagingLoop.is_retryable());
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("12"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(12)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn operation_outcome_diagnostics_are_kept_in_the_message() {
        let body = br#"{"resourceType":"OperationOutcome","issue":[
            {"severity":"error","code":"not-found","diagnostics":"Resource Encounter/enc-1 is not known"},
            {"severity":"warning","code":"processing","details":{"text":"second issue"}}]}"#;
        let diagnostics = outcome_diagnostics(body);
        assert_eq!(
            diagnostics,
            vec!["Resource Encounter/enc-1 is not known", "second issue"]
        );
        let e = FhirError::Status {
            status: 404,
            diagnostics,
            retry_after: None,
        };
        assert_eq!(
            e.to_string(),
            "FHIR server answered HTTP 404: Resource Encounter/enc-1 is not known; second issue"
        );
        assert!(outcome_diagnostics(b"<html>busy</html>").is_empty());
    }
}
