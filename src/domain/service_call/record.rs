//! A service call as the domain sees it (read back from its row), how its
//! headers and body are kept, and how it is shown to API clients: secret header
//! values are always shown as `[redacted]`.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::call_parts::CallBody;
use super::outcome::{FailureMeta, ResponseMeta};
use super::redact::REDACTED;
use crate::domain::casing;
use crate::store::{RunId, ServiceCallRow, ServiceCallStatus, StoreError, TenantId};

/// How one request header is kept.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "storage", rename_all = "lowercase")]
pub enum StoredHeader {
    /// Not secret: kept as given.
    Plain {
        /// Header name.
        name: String,
        /// Header value.
        value: String,
    },
    /// Secret: kept sealed with the configured key.
    Sealed {
        /// Header name.
        name: String,
        /// The sealed value.
        sealed: String,
    },
    /// Secret, but no key was configured: the value was not kept (nor is it sent).
    Dropped {
        /// Header name.
        name: String,
    },
}

impl StoredHeader {
    /// The header's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Plain { name, .. } | Self::Sealed { name, .. } | Self::Dropped { name } => name,
        }
    }
}

/// Debug shows names and how each is kept, never values.
impl fmt::Debug for StoredHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self {
            Self::Plain { .. } => "plain",
            Self::Sealed { .. } => "sealed",
            Self::Dropped { .. } => "dropped",
        };
        write!(f, "{}({how})", self.name())
    }
}

/// The stored form of a body: `{"json": value}` or `{"text": "..."}`.
pub(super) fn body_to_value(body: &CallBody) -> Value {
    match body {
        CallBody::Json(v) => json!({ "json": v }),
        CallBody::Text(t) => json!({ "text": t }),
    }
}

fn body_from_value(value: &Value) -> Result<CallBody, StoreError> {
    if let Some(v) = value.get("json") {
        return Ok(CallBody::Json(v.clone()));
    }
    match value.get("text").and_then(Value::as_str) {
        Some(t) => Ok(CallBody::Text(t.to_owned())),
        None => Err(StoreError::Corrupt("service call body".into())),
    }
}

/// A recorded service call.
#[derive(Clone, PartialEq)]
pub struct ServiceCall {
    /// Owner.
    pub tenant: TenantId,
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Status.
    pub status: ServiceCallStatus,
    /// HTTP method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Headers as kept.
    pub headers: Vec<StoredHeader>,
    /// Body.
    pub body: Option<CallBody>,
    /// When the request is due.
    pub due_at: DateTime<Utc>,
    /// Caller's correlation id.
    pub correlation_id: Option<String>,
    /// Labels.
    pub tags: Vec<String>,
    /// Idempotency key.
    pub idempotency_key: Option<String>,
    /// Fingerprint of the submitted body.
    pub request_hash: String,
    /// The run performing it.
    pub run_id: Option<RunId>,
    /// The last attempt that claimed it.
    pub attempts: u32,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Scheduling time.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// First attempt's start.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    pub finished_at: Option<DateTime<Utc>>,
    /// The server's (last) answer.
    pub response: Option<ResponseMeta>,
    /// Why it failed (or why the last attempt failed, while another is due).
    pub error: Option<FailureMeta>,
    /// When the next attempt is due, while it waits between attempts.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Debug shows ids, status and host: URLs, bodies and header values may hold
/// secrets or personal data.
impl fmt::Debug for ServiceCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        f.debug_struct("ServiceCall")
            .field("tenant", &self.tenant)
            .field("id", &self.id)
            .field("status", &self.status)
            .field("method", &self.method)
            .field("host", &host)
            .field("headers", &self.headers)
            .field("run_id", &self.run_id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl TryFrom<ServiceCallRow> for ServiceCall {
    type Error = StoreError;

    fn try_from(row: ServiceCallRow) -> Result<Self, Self::Error> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("service call {what}"));
        let headers: Vec<StoredHeader> =
            serde_json::from_value(row.headers.0).map_err(|_| corrupt("headers"))?;
        let body = row.body.map(|b| body_from_value(&b.0)).transpose()?;
        let response = row
            .response
            .map(|r| serde_json::from_value(r.0))
            .transpose()
            .map_err(|_| corrupt("response"))?;
        let error = row
            .error
            .map(|e| serde_json::from_value(e.0))
            .transpose()
            .map_err(|_| corrupt("error"))?;
        Ok(Self {
            tenant: row.tenant_id,
            id: row.service_call_id,
            name: row.name,
            status: row.status,
            method: row.method,
            url: row.url,
            headers,
            body,
            due_at: row.due_at,
            correlation_id: row.correlation_id,
            tags: row.tags.0,
            idempotency_key: row.idempotency_key,
            request_hash: row.request_hash,
            run_id: row.run_id,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            created_at: row.created_at,
            scheduled_at: row.scheduled_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            response,
            error,
            next_attempt_at: row.next_attempt_at,
        })
    }
}

impl ServiceCall {
    /// The correlation id of its events: the caller's, else the call's id.
    pub fn correlation(&self) -> String {
        self.correlation_id
            .clone()
            .unwrap_or_else(|| self.id.to_string())
    }

    /// Where the API serves it.
    pub fn location(&self) -> String {
        format!("/v1/service-calls/{}", self.id)
    }

    /// Names of secret headers whose values were not kept (no key configured).
    pub fn dropped_headers(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|h| matches!(h, StoredHeader::Dropped { .. }))
            .map(StoredHeader::name)
            .collect()
    }

    /// How API clients see it.
    pub fn view(&self) -> ServiceCallView {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|h| {
                let value = match h {
                    StoredHeader::Plain { value, .. } => value.as_str(),
                    StoredHeader::Sealed { .. } | StoredHeader::Dropped { .. } => REDACTED,
                };
                (h.name().to_owned(), Value::String(value.to_owned()))
            })
            .collect();
        let warnings = self
            .dropped_headers()
            .into_iter()
            .map(|name| {
                format!(
                    "the value of header {name} was not stored and is not sent: \
                     service_calls.encryption_key is not configured"
                )
            })
            .collect();
        ServiceCallView {
            service_call_id: self.id,
            name: self.name.clone(),
            status: self.status,
            request: RequestView {
                method: self.method.clone(),
                url: self.url.clone(),
                headers,
                body: self.body.as_ref().map(|b| match b {
                    CallBody::Json(v) => v.clone(),
                    CallBody::Text(t) => Value::String(t.clone()),
                }),
            },
            due_at: self.due_at,
            correlation_id: self.correlation_id.clone(),
            tags: self.tags.clone(),
            run_id: self.run_id,
            attempts: self.attempts,
            created_at: self.created_at,
            scheduled_at: self.scheduled_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            response: self.response.clone(),
            error: self.error.clone(),
            next_attempt_at: self.next_attempt_at,
            warnings,
            location: self.location(),
        }
    }
}

/// A service call as API clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ServiceCall)]
pub struct ServiceCallView {
    /// Id.
    pub service_call_id: Uuid,
    /// Name.
    pub name: String,
    /// `submitted`, `scheduled`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: ServiceCallStatus,
    /// The request, secret header values redacted.
    pub request: RequestView,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// Caller's correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Labels.
    pub tags: Vec<String>,
    /// The `service-call` run performing it.
    #[schema(required = true)]
    pub run_id: Option<RunId>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Scheduling time.
    #[schema(required = true)]
    pub scheduled_at: Option<DateTime<Utc>>,
    /// First attempt's start.
    #[schema(required = true)]
    pub started_at: Option<DateTime<Utc>>,
    /// Final time.
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    /// The server's (last) answer.
    #[schema(required = true)]
    pub response: Option<ResponseMeta>,
    /// Why it failed; while `scheduled` for another attempt, why the last one failed.
    #[serde(serialize_with = "failure_in_api_spelling")]
    #[schema(required = true)]
    pub error: Option<FailureMeta>,
    /// When the next attempt is due (after backoff or the server's `Retry-After`),
    /// while the call waits between attempts; `error` then holds the last
    /// attempt's failure.
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// What the caller should know (for instance: a secret header's value was not
    /// stored because no encryption key is configured).
    pub warnings: Vec<String>,
    /// Where it is served.
    pub location: String,
}

/// The request part of a [`ServiceCallView`].
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ServiceCallRequest)]
pub struct RequestView {
    /// HTTP method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Headers; secret values are `[redacted]`.
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub headers: Map<String, Value>,
    /// Body as given (JSON or text); `null` without one.
    #[schema(required = true)]
    pub body: Option<Value>,
}

/// A failure with its `kind` in the API's spelling (`http_status`). The stored
/// records, events and step outputs keep the kebab-case earlier versions wrote
/// and still read (`http-status`), so only this view translates it.
fn failure_in_api_spelling<S: serde::Serializer>(
    failure: &Option<FailureMeta>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut value = serde_json::to_value(failure).map_err(serde::ser::Error::custom)?;
    let api = value
        .get("kind")
        .and_then(Value::as_str)
        .map(casing::api_value);
    if let (Some(api), Some(fields)) = (api, value.as_object_mut()) {
        fields.insert("kind".into(), Value::String(api));
    }
    value.serialize(serializer)
}
