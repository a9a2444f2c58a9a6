//! The service-call operations: HTTP requests a tenant schedules for a due time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `POST /v1/service-calls`: the handler reads it as JSON and validates every
/// member, listing each problem.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceCallSubmission {
    /// What the call is, for people.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The request to make.
    pub request: ServiceCallRequestBody,
    /// When to make it (RFC 3339): default now; a past time means now; at most
    /// `service_calls.max_due_horizon` ahead.
    pub due_at: Option<DateTime<Utc>>,
    /// Correlates the call with the caller's business transaction.
    #[schema(min_length = 1, max_length = 200)]
    pub correlation_id: Option<String>,
    /// Labels to list calls by (`GET /v1/service-calls?tag=`).
    #[schema(max_items = 20)]
    pub tags: Option<Vec<ServiceCallTag>>,
}

/// A label of a service call: 1-64 characters.
#[derive(Serialize, ToSchema)]
#[schema(value_type = String, pattern = "^.{1,64}$")]
pub struct ServiceCallTag(pub String);

/// The HTTP request of a [`ServiceCallSubmission`].
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceCallRequestBody {
    /// HTTP method (any casing is accepted).
    pub method: HttpMethod,
    /// Absolute http or https URL without user info. A literal loopback, private,
    /// link-local or otherwise non-public address is refused (422) unless
    /// `providers.outbound.allow` permits it.
    #[schema(format = "uri", max_length = 8192)]
    pub url: String,
    /// At most 50. `Authorization`, `Proxy-Authorization`, `Cookie` and
    /// `service_calls.secret_headers` are secret: stored sealed (or not at all
    /// without an encryption key) and always shown as `[redacted]`. `Host`,
    /// `Content-Length`, `Transfer-Encoding` and `Connection` cannot be set.
    pub headers: Option<BTreeMap<String, String>>,
    /// A JSON value (sent serialized, as `application/json` unless a
    /// `Content-Type` is given) or a string (sent verbatim as `text/plain`). At
    /// most `service_calls.max_body_bytes`.
    pub body: Option<Value>,
    /// The header that carries the call's id (its idempotency key) on every
    /// attempt, so the partner can drop repeats. Absent:
    /// `service_calls.idempotency_header` (default `Idempotency-Key`); a header
    /// name: that header instead; `null`: no key header. A value given for that
    /// header in `headers` is sent instead of the id.
    pub idempotency_header: Option<String>,
}

/// The methods a service call may use.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET.
    Get,
    /// HEAD.
    Head,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
    /// OPTIONS.
    Options,
}
