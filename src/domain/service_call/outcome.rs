//! What is recorded of an executed call: response metadata (status code, a few
//! headers, sizes, latency, a bounded excerpt) and error metadata (a kind a
//! caller can act on, a message free of URLs and secrets).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::casing;
use crate::providers::outbound::{OutboundError, OutboundErrorKind, OutboundResponse};

/// The recorded answer of the server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ServiceCallResponse)]
pub struct ResponseMeta {
    /// HTTP status code.
    pub status_code: u16,
    /// Selected headers (content-type, content-length, retry-after, location,
    /// date, x-request-id), lower-case names; repeated ones joined by `, `.
    pub headers: BTreeMap<String, String>,
    /// Body size in bytes.
    pub body_size: u64,
    /// The start of the body, bounded by `providers.outbound.max_response_bytes`.
    pub body_excerpt: String,
    /// From sending the request to reading the whole body, in milliseconds.
    pub latency_ms: u64,
}

impl From<&OutboundResponse> for ResponseMeta {
    fn from(r: &OutboundResponse) -> Self {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in &r.headers {
            headers
                .entry(name.to_ascii_lowercase())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(value);
                })
                .or_insert_with(|| value.clone());
        }
        Self {
            status_code: r.status,
            headers,
            body_size: r.body_size,
            body_excerpt: r.body_excerpt.clone(),
            latency_ms: r.latency_ms,
        }
    }
}

/// Debug leaves out the excerpt: it may hold personal data.
impl fmt::Debug for ResponseMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseMeta")
            .field("status_code", &self.status_code)
            .field("body_size", &self.body_size)
            .field("latency_ms", &self.latency_ms)
            .finish()
    }
}

/// Why a call failed, serialized kebab-case (`refused-by-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// No answer within `providers.outbound.timeout`.
    Timeout,
    /// The connection failed or broke.
    Connect,
    /// The host name did not resolve.
    Dns,
    /// The destination, a resolved address or a redirect is not allowed.
    RefusedByPolicy,
    /// The server answered outside 2xx.
    HttpStatus,
    /// The stored request cannot be sent (say, a sealed header no longer opens).
    InvalidRequest,
    /// The outbound client could not be set up.
    Setup,
    /// The host's circuit breaker was open: nothing was sent.
    CircuitOpen,
    /// The call was recorded but its run could not be submitted.
    NotScheduled,
    /// The run performing the call was cancelled while the request was in flight.
    Cancelled,
    /// The last attempt never reported: the process performing it stopped (or
    /// paused past its lease) with the request perhaps in flight.
    Lost,
}

impl FailureKind {
    /// Every kind, as the API description lists them.
    pub const ALL: [FailureKind; 11] = [
        Self::Timeout,
        Self::Connect,
        Self::Dns,
        Self::RefusedByPolicy,
        Self::HttpStatus,
        Self::InvalidRequest,
        Self::Setup,
        Self::CircuitOpen,
        Self::NotScheduled,
        Self::Cancelled,
        Self::Lost,
    ];
}

// Written by hand rather than derived: the API shows the kinds in snake_case
// (`http_status`) while the stored records keep serde's kebab-case, and a derived
// schema would follow serde.
impl utoipa::PartialSchema for FailureKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let names: Vec<String> = Self::ALL
            .iter()
            .filter_map(|k| serde_json::to_value(k).ok())
            .filter_map(|v| v.as_str().map(casing::api_value))
            .collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .description(Some("Why the call failed."))
            .into()
    }
}

impl utoipa::ToSchema for FailureKind {
    fn name() -> std::borrow::Cow<'static, str> {
        "ServiceCallFailureKind".into()
    }
}

impl From<OutboundErrorKind> for FailureKind {
    fn from(kind: OutboundErrorKind) -> Self {
        match kind {
            OutboundErrorKind::Timeout => Self::Timeout,
            OutboundErrorKind::Connect => Self::Connect,
            OutboundErrorKind::Dns => Self::Dns,
            OutboundErrorKind::RefusedByPolicy => Self::RefusedByPolicy,
            OutboundErrorKind::HttpStatus => Self::HttpStatus,
            OutboundErrorKind::InvalidRequest => Self::InvalidRequest,
            OutboundErrorKind::Setup => Self::Setup,
            OutboundErrorKind::CircuitOpen => Self::CircuitOpen,
        }
    }
}

/// The recorded failure of a call (its last attempt's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ServiceCallError)]
pub struct FailureMeta {
    /// What kind of failure.
    pub kind: FailureKind,
    /// What happened; names hosts and addresses, never URLs or header values.
    pub message: String,
    /// The attempt that failed, from 1 (0 when no attempt was made).
    pub attempt: u32,
    /// The status code, for `http_status` (`http-status` as stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
}

impl FailureMeta {
    /// A failure of its own kind (not from the outbound client).
    pub fn new(kind: FailureKind, message: impl Into<String>, attempt: u32) -> Self {
        Self {
            kind,
            message: message.into(),
            attempt,
            status_code: None,
        }
    }

    /// The metadata of an outbound failure in attempt `attempt`.
    pub fn from_outbound(error: &OutboundError, attempt: u32) -> Self {
        Self {
            kind: error.kind().into(),
            message: error.message(),
            attempt,
            status_code: error.response().map(|r| r.status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> OutboundResponse {
        OutboundResponse {
            status,
            headers: vec![
                ("Content-Type".into(), "text/plain".into()),
                ("x-request-id".into(), "a".into()),
                ("x-request-id".into(), "b".into()),
            ],
            body_size: 4,
            body_excerpt: "boom".into(),
            latency_ms: 12,
        }
    }

    #[test]
    fn response_metadata_keeps_status_headers_sizes_and_excerpt() {
        let meta = ResponseMeta::from(&answered(503));
        let json = serde_json::to_value(&meta).unwrap();
        assert_eq!(json["statusCode"], 503);
        assert_eq!(json["headers"]["content-type"], "text/plain");
        assert_eq!(json["headers"]["x-request-id"], "a, b");
        assert_eq!(json["bodySize"], 4);
        assert_eq!(json["bodyExcerpt"], "boom");
        assert_eq!(json["latencyMs"], 12);
        assert!(!format!("{meta:?}").contains("boom"));
    }

    #[test]
    fn failures_carry_the_outbound_kind_in_kebab_case_and_the_status() {
        let err = OutboundError::HttpStatus(Box::new(answered(500)));
        let meta = FailureMeta::from_outbound(&err, 3);
        let json = serde_json::to_value(&meta).unwrap();
        assert_eq!(json["kind"], "http-status");
        assert_eq!(json["statusCode"], 500);
        assert_eq!(json["attempt"], 3);
        let refused = FailureMeta::from_outbound(&OutboundError::RefusedByPolicy("x".into()), 1);
        assert_eq!(
            serde_json::to_value(&refused).unwrap()["kind"],
            "refused-by-policy"
        );
        assert!(
            serde_json::to_value(&refused)
                .unwrap()
                .get("statusCode")
                .is_none()
        );
        let back: FailureMeta = serde_json::from_value(json).unwrap();
        assert_eq!(back, meta);
    }
}
