//! Client of Amion's text "programming interface" (`/cgi-bin/ocs`), fetching who is
//! assigned to what (report 619). The group's viewing password travels in the query
//! string, so it is kept in [`AccessCode`] and stripped from every error.

mod report;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

pub use report::{AmionAssignment, parse_report_619};

/// A group's Amion viewing password. Its `Debug` never shows it, and it has no `Display`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct AccessCode(String);

impl AccessCode {
    /// Wraps a login read from secrets.
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    /// The login itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why assignments could not be fetched. None of the variants carries the login.
#[derive(Debug, thiserror::Error)]
pub enum AmionError {
    /// Amion does not know the login (`NOFI=No file`).
    #[error("Amion rejected the access code")]
    Auth,
    /// The request itself is wrong; sending it again will not help.
    #[error("invalid Amion request: {0}")]
    InvalidRequest(&'static str),
    /// Amion answered with an HTTP error status.
    #[error("Amion answered HTTP {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// Delay Amion asked for in `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The request did not complete (connection, timeout, broken body); URL removed.
    #[error("could not talk to Amion: {0}")]
    Transport(#[source] reqwest::Error),
    /// A successful answer that is not a report 619 (an error page, say).
    #[error("Amion's answer is not an assignment report: {0}")]
    UnexpectedBody(&'static str),
}

impl AmionError {
    /// True for failures that may pass: timeouts, connection errors, 408, 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            AmionError::Transport(e) => !e.is_builder(),
            AmionError::Status { status, .. } => {
                let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST);
                status.is_server_error()
                    || status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::REQUEST_TIMEOUT
            }
            AmionError::Auth | AmionError::InvalidRequest(_) | AmionError::UnexpectedBody(_) => {
                false
            }
        }
    }

    /// How long Amion asked the caller to wait, when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AmionError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Fetches assignments from one Amion server. Amion expects callers to cache for at
/// least 5 minutes; scheduling the calls is the caller's job.
#[derive(Debug, Clone)]
pub struct AmionClient {
    http: reqwest::Client,
    base_url: String,
}

impl AmionClient {
    /// A client for the server at `base_url` (scheme and host, e.g. `https://host`),
    /// using `http` for its timeouts and connection pool.
    pub fn new(http: reqwest::Client, base_url: String) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Every assignment from `start` for `days` days (report 619).
    pub async fn fetch_assignments(
        &self,
        login: &AccessCode,
        start: NaiveDate,
        days: u32,
    ) -> Result<Vec<AmionAssignment>, AmionError> {
        if days == 0 {
            return Err(AmionError::InvalidRequest("days must be at least 1"));
        }
        let started = Instant::now();
        let query = [
            ("Lo", login.expose().to_owned()),
            ("Rpt", "619".to_owned()),
            ("Day", start.day().to_string()),
            ("Month", start.month().to_string()),
            ("Year", start.year().to_string()),
            ("Days", days.to_string()),
        ];
        let response = self
            .http
            .get(format!("{}/cgi-bin/ocs", self.base_url))
            .query(&query)
            .headers(crate::telemetry::trace_context::outbound_headers())
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(status = status.as_u16(), "amion request failed");
            return Err(AmionError::Status {
                status: status.as_u16(),
                retry_after: retry_after(response.headers()),
            });
        }
        // Whatever Amion sends must be storable (no NUL).
        let body = crate::storable::string(response.text().await.map_err(transport)?);
        let assignments = parse_report_619(&body)?;
        tracing::debug!(
            assignments = assignments.len(),
            days,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "amion assignments fetched"
        );
        Ok(assignments)
    }
}

/// reqwest errors quote the request URL, which holds the login.
fn transport(error: reqwest::Error) -> AmionError {
    AmionError::Transport(error.without_url())
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&Utc) - Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}
