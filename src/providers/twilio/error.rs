//! Errors from Twilio calls, sorted into retryable (timeouts, connection trouble, 429, 5xx) and
//! permanent (validation and other 4xx) so the engine knows whether to try again.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::time::Duration;

/// What went wrong talking to Twilio.
#[derive(thiserror::Error)]
pub enum TwilioError {
    /// No answer within the HTTP client's timeout; the request may still have been acted on.
    #[error("Twilio did not answer in time")]
    Timeout,
    /// Twilio could not be reached.
    #[error("could not connect to Twilio: {0}")]
    Connect(String),
    /// The exchange broke off after the connection was made.
    #[error("Twilio request failed in transit: {0}")]
    Transport(String),
    /// Twilio answered with an error status.
    #[error("Twilio answered HTTP {status}{}", code_suffix(*.code))]
    Api {
        /// HTTP status.
        status: u16,
        /// Twilio error code (`21211` = invalid To number), when the body had one.
        code: Option<i64>,
        /// Twilio's explanation; may quote the phone number, so it is kept out of `Display`
        /// and `Debug`.
        message: String,
        /// Link to Twilio's page on the error code.
        more_info: Option<String>,
        /// How long Twilio asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// A success answer that could not be read.
    #[error("unreadable Twilio response: {0}")]
    Decode(String),
    /// The client is misconfigured; no request was sent.
    #[error("invalid Twilio settings: {0}")]
    Config(String),
}

fn code_suffix(code: Option<i64>) -> String {
    code.map(|c| format!(", error {c}")).unwrap_or_default()
}

impl std::fmt::Debug for TwilioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TwilioError::Api {
                status,
                code,
                more_info,
                retry_after,
                ..
            } => f
                .debug_struct("Api")
                .field("status", status)
                .field("code", code)
                .field("more_info", more_info)
                .field("retry_after", retry_after)
                .finish_non_exhaustive(),
            other => write!(f, "{other}"),
        }
    }
}

/// Twilio's JSON error body.
#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
    more_info: Option<String>,
}

impl TwilioError {
    /// Worth trying again later: timeouts, connection trouble, 429 and 5xx answers.
    pub fn is_retryable(&self) -> bool {
        match self {
            TwilioError::Timeout | TwilioError::Connect(_) | TwilioError::Transport(_) => true,
            TwilioError::Api { status, .. } => *status == 429 || *status >= 500,
            TwilioError::Decode(_) | TwilioError::Config(_) => false,
        }
    }

    /// The wait Twilio asked for, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TwilioError::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Twilio's error code, if any.
    pub fn code(&self) -> Option<i64> {
        match self {
            TwilioError::Api { code, .. } => *code,
            _ => None,
        }
    }

    pub(super) fn from_reqwest(err: reqwest::Error) -> Self {
        // The URL can carry a phone number (list filters), so it never enters the message.
        let err = err.without_url();
        if err.is_timeout() {
            return TwilioError::Timeout;
        }
        let mut text = err.to_string();
        if let Some(source) = std::error::Error::source(&err) {
            text.push_str(&format!(": {source}"));
        }
        if err.is_connect() {
            TwilioError::Connect(text)
        } else if err.is_decode() {
            TwilioError::Decode(text)
        } else {
            TwilioError::Transport(text)
        }
    }

    pub(super) fn from_response(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Self {
        let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
        let (code, message, more_info) = match parsed {
            Some(b) => (b.code, b.message, b.more_info),
            None => (None, None, None),
        };
        TwilioError::Api {
            status,
            code,
            message: message
                .unwrap_or_else(|| format!("HTTP {status} without a Twilio error body")),
            more_info,
            retry_after,
        }
    }

    /// A JSON error described by position only: serde's message can quote the offending value.
    pub(super) fn decode(err: &serde_json::Error) -> Self {
        TwilioError::Decode(format!(
            "{:?} error at line {} column {}",
            err.classify(),
            err.line(),
            err.column()
        ))
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub(super) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past means retry now"
        );
        let later = (Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        let wait = parse_retry_after(&later).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn an_error_body_is_kept_but_its_message_stays_out_of_logs() {
        let body = br#"{"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#;
        let err = TwilioError::from_response(400, None, body);
        assert_eq!(err.code(), Some(21211));
        assert!(!err.is_retryable());
        let TwilioError::Api { message, .. } = &err else {
            panic!("expected an API error, got {err:?}");
        };
        assert!(message.contains("not a valid phone number"));
        assert_eq!(err.to_string(), "Twilio answered HTTP 400, error 21211");
        assert!(!format!("{err:?}").contains("+1555"));
    }

    #[test]
    fn server_errors_and_throttling_are_retryable_client_errors_are_not() {
        for (status, retryable) in [
            (429, true),
            (500, true),
            (503, true),
            (400, false),
            (401, false),
            (404, false),
        ] {
            let err = TwilioError::from_response(status, None, b"not json");
            assert_eq!(err.is_retryable(), retryable, "HTTP {status}");
        }
        assert!(TwilioError::Timeout.is_retryable());
        assert!(!TwilioError::Config("x".into()).is_retryable());
    }
}
