//! Failure classes: what a breaker remembers of a failure. A class names the kind of
//! failure and the status ("HTTP 500", "timeout", "connection refused"), never the
//! remote body, which may quote patient data and is shown to other tenants.

use std::error::Error as StdError;
use std::time::Duration;

use super::ProviderError;
use crate::providers::amion::AmionError;
use crate::providers::fhir::FhirError;
use crate::providers::llm::LlmError;
use crate::providers::outbound::OutboundError;
use crate::providers::smtp::EmailError;
use crate::providers::twilio::TwilioError;

/// The class of a transport failure reported by reqwest.
pub fn of_reqwest(e: &reqwest::Error) -> String {
    if let Some(status) = e.status() {
        return http(status.as_u16());
    }
    if e.is_timeout() {
        return "timeout".into();
    }
    if e.is_connect() {
        return if refused(e) {
            "connection refused".into()
        } else {
            "connection failed".into()
        };
    }
    if e.is_decode() || e.is_body() {
        return "unreadable answer".into();
    }
    "transport error".into()
}

/// The class of a transport failure known only by its text (clients that keep the
/// cause as a message).
pub fn of_transport_text(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    if lower.contains("refused") {
        "connection refused".into()
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "timeout".into()
    } else {
        "connection failed".into()
    }
}

fn http(status: u16) -> String {
    format!("HTTP {status}")
}

fn refused(e: &(dyn StdError + 'static)) -> bool {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        cause = c.source();
    }
    false
}

impl ProviderError for LlmError {
    fn is_retryable(&self) -> bool {
        LlmError::is_retryable(self)
    }
    fn retry_after(&self) -> Option<Duration> {
        LlmError::retry_after(self)
    }
    fn class(&self) -> String {
        match self {
            Self::Timeout => "timeout".into(),
            Self::Transport(text) => of_transport_text(text),
            Self::Status { status, .. } => http(*status),
            Self::Truncated | Self::ContentFiltered | Self::EmptyContent => {
                "unusable answer".into()
            }
            Self::InvalidResponse(_) => "unreadable answer".into(),
        }
    }
}

impl ProviderError for TwilioError {
    fn is_retryable(&self) -> bool {
        TwilioError::is_retryable(self)
    }
    fn retry_after(&self) -> Option<Duration> {
        TwilioError::retry_after(self)
    }
    fn class(&self) -> String {
        match self {
            Self::Timeout => "timeout".into(),
            Self::Connect(text) => of_transport_text(text),
            Self::Transport(_) => "transport error".into(),
            Self::Api { status, .. } => http(*status),
            Self::Decode(_) => "unreadable answer".into(),
            Self::Config(_) => "invalid settings".into(),
        }
    }
}

impl ProviderError for AmionError {
    fn is_retryable(&self) -> bool {
        AmionError::is_retryable(self)
    }
    fn retry_after(&self) -> Option<Duration> {
        AmionError::retry_after(self)
    }
    fn class(&self) -> String {
        match self {
            Self::Auth => "access code rejected".into(),
            Self::InvalidRequest(_) => "invalid request".into(),
            Self::Status { status, .. } => http(*status),
            Self::Transport(e) => of_reqwest(e),
            Self::UnexpectedBody(_) => "unreadable answer".into(),
        }
    }
}

impl ProviderError for FhirError {
    fn is_retryable(&self) -> bool {
        FhirError::is_retryable(self)
    }
    fn retry_after(&self) -> Option<Duration> {
        FhirError::retry_after(self)
    }
    fn class(&self) -> String {
        match self {
            Self::Status { status, .. } => http(*status),
            Self::Transport(e) => of_reqwest(e),
            Self::InvalidBaseUrl(_) => "invalid settings".into(),
            Self::InvalidId => "invalid request".into(),
            Self::Decode(_) | Self::BodyTooLarge { .. } => "unreadable answer".into(),
            Self::ForeignNextLink { .. } | Self::TooManyPages { .. } | Self::PagingLoop => {
                "unusable paging".into()
            }
        }
    }
}

impl ProviderError for OutboundError {
    fn is_retryable(&self) -> bool {
        OutboundError::is_retryable(self)
    }
    fn retry_after(&self) -> Option<Duration> {
        OutboundError::retry_after(self)
    }
    fn class(&self) -> String {
        match self {
            Self::Timeout(_) => "timeout".into(),
            Self::Connect(text) => of_transport_text(text),
            Self::Dns(_) => "name resolution failed".into(),
            Self::RefusedByPolicy(_) => "refused by policy".into(),
            Self::HttpStatus(response) => http(response.status),
            Self::InvalidRequest(_) => "invalid request".into(),
            Self::Setup(_) => "invalid settings".into(),
            Self::CircuitOpen { .. } => "circuit open".into(),
        }
    }
}

impl ProviderError for EmailError {
    fn is_retryable(&self) -> bool {
        EmailError::is_retryable(self)
    }
    fn class(&self) -> String {
        match self {
            Self::Timeout => "timeout".into(),
            Self::Connection(text) => of_transport_text(text),
            Self::Tls(_) => "TLS failed".into(),
            Self::Rejected { code, .. } => format!("SMTP {code}"),
            Self::Protocol(_) => "protocol error".into(),
            Self::InvalidAddress { .. } | Self::Build(_) => "invalid message".into(),
            Self::Config(_) => "invalid settings".into(),
            Self::Io(_) => "spool write failed".into(),
        }
    }
}

impl ProviderError for reqwest::Error {
    fn is_retryable(&self) -> bool {
        self.is_timeout()
            || self.is_connect()
            || self
                .status()
                .is_some_and(|s| s.is_server_error() || s.as_u16() == 429)
    }
    fn class(&self) -> String {
        of_reqwest(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_names_the_status_and_never_the_remote_text() {
        let e = FhirError::Status {
            status: 500,
            diagnostics: vec!["patient Jane Doe not found".into()],
            retry_after: None,
        };
        assert_eq!(e.class(), "HTTP 500");
        let e = LlmError::Status {
            status: 503,
            message: "overloaded for Jane".into(),
            retry_after: None,
        };
        assert_eq!(e.class(), "HTTP 503");
        assert_eq!(
            of_transport_text("tcp connect error: Connection refused (os error 111)"),
            "connection refused"
        );
    }
}
