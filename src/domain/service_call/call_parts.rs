//! The pieces of a service call that both its validation steps use
//! ([`super::request`] for the call, [`super::http_parts`] for its `request`
//! object): the configured limits, the body to send, the header that carries
//! the idempotency key, and the escaping of keys into problem pointers.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// Configurable bounds of service-call requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCallLimits {
    /// Largest request body, in bytes as sent.
    pub max_body_bytes: usize,
    /// How far ahead `dueAt` may lie.
    pub max_due_horizon: Duration,
}

impl Default for ServiceCallLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_due_horizon: Duration::from_secs(365 * 24 * 60 * 60),
        }
    }
}

/// The body to send: a JSON value is sent serialized, a string as is.
#[derive(Clone, PartialEq)]
pub enum CallBody {
    /// Any JSON value other than a string or null.
    Json(Value),
    /// Text sent verbatim.
    Text(String),
}

impl CallBody {
    /// The bytes sent on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Json(value) => value.to_string().into_bytes(),
            Self::Text(text) => text.clone().into_bytes(),
        }
    }

    /// The content type sent when the request does not name one.
    pub fn default_content_type(&self) -> &'static str {
        match self {
            Self::Json(_) => "application/json",
            Self::Text(_) => "text/plain; charset=utf-8",
        }
    }
}

/// Debug shows only the size: bodies may hold personal data.
impl fmt::Debug for CallBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Self::Json(_) => "Json",
            Self::Text(_) => "Text",
        };
        write!(f, "{kind}({} bytes)", self.to_bytes().len())
    }
}

/// Which header carries the call's idempotency key (its id) on every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyHeader {
    /// The one `service_calls.idempotency_header` names (none when it is empty).
    Configured,
    /// This header, named by the request.
    Named(String),
    /// None: the request asked for no key header.
    Off,
}

/// Escapes a key for use as one RFC 6901 pointer token.
pub(super) fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
