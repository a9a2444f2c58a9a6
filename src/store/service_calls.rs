//! Scheduled service calls as stored: rows, conditional transitions and listing.
//!
//! Only the `ServiceCall` aggregate (in the domain) writes through this trait.
//! Every transition names the statuses it starts from and applies only when the
//! row is still in one of them, in the same transaction as the event it
//! publishes; a transition that finds the row elsewhere changes nothing.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{NewEvent, RunId, StoreResult, TenantId};

/// Columns of `service_calls`, in [`ServiceCallRow`] order.
pub(crate) const SERVICE_CALL_COLUMNS: &str = "tenant_id, service_call_id, name, status, method, \
     url, headers, body, due_at, correlation_id, tags, idempotency_key, request_hash, run_id, \
     attempts, created_at, scheduled_at, started_at, finished_at, response, error, \
     next_attempt_at";

/// Where a service call is in its life: lower-case (`scheduled`), stored and shown
/// alike. The capitalised names earlier versions showed are still read, since event
/// payloads written by them may be deserialized again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServiceCallStatus {
    /// Recorded; its run is not yet known.
    #[serde(alias = "Submitted")]
    Submitted,
    /// A run waits for the due time, or for the next attempt after a failure.
    #[serde(alias = "Scheduled")]
    Scheduled,
    /// The request is being made (possibly again, after a retryable failure).
    #[serde(alias = "Running")]
    Running,
    /// A 2xx answer was received. Final.
    #[serde(alias = "Succeeded")]
    Succeeded,
    /// The last attempt failed, or a failure was not retryable. Final.
    #[serde(alias = "Failed")]
    Failed,
    /// Cancelled, through the call or its run. Final.
    #[serde(alias = "Cancelled")]
    Cancelled,
}

impl ServiceCallStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [ServiceCallStatus; 6] = [
        Self::Submitted,
        Self::Scheduled,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The name the API shows: the stored one (`scheduled`).
    pub fn api_name(self) -> &'static str {
        self.as_str()
    }

    /// The event published on entering it (`ServiceCallScheduled`): part of the
    /// published event vocabulary, so it keeps its spelling.
    pub fn event_name(self) -> &'static str {
        match self {
            Self::Submitted => "ServiceCallSubmitted",
            Self::Scheduled => "ServiceCallScheduled",
            Self::Running => "ServiceCallRunning",
            Self::Succeeded => "ServiceCallSucceeded",
            Self::Failed => "ServiceCallFailed",
            Self::Cancelled => "ServiceCallCancelled",
        }
    }

    /// True for `Succeeded`, `Failed` and `Cancelled`: nothing changes them again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

impl FromStr for ServiceCallStatus {
    type Err = String;

    /// Accepts the stored or the API name, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown service call status: {s}"))
    }
}

impl TryFrom<String> for ServiceCallStatus {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for ServiceCallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

/// A stored service call.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceCallRow {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id (UUID v7, so ids sort by creation).
    pub service_call_id: Uuid,
    /// Human-readable name.
    pub name: String,
    /// Current status.
    #[sqlx(try_from = "String")]
    pub status: ServiceCallStatus,
    /// HTTP method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Stored headers (secret values sealed or dropped).
    pub headers: Json<Value>,
    /// Stored body.
    pub body: Option<Json<Value>>,
    /// When the request is due.
    pub due_at: DateTime<Utc>,
    /// Caller's correlation id.
    pub correlation_id: Option<String>,
    /// Labels.
    pub tags: Json<Vec<String>>,
    /// Idempotency key given at submission.
    pub idempotency_key: Option<String>,
    /// Fingerprint of the submitted body.
    pub request_hash: String,
    /// The run performing the call, once scheduled.
    pub run_id: Option<RunId>,
    /// The last attempt that claimed the call.
    pub attempts: i32,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// When it was scheduled.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When the first attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    pub finished_at: Option<DateTime<Utc>>,
    /// Response metadata.
    pub response: Option<Json<Value>>,
    /// Error metadata.
    pub error: Option<Json<Value>>,
    /// When the next attempt is due, while the call waits between attempts.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A service call to record, in status `Submitted`.
#[derive(Debug, Clone)]
pub struct NewServiceCall {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id.
    pub service_call_id: Uuid,
    /// Name.
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Headers as stored.
    pub headers: Value,
    /// Body as stored.
    pub body: Option<Value>,
    /// Due time.
    pub due_at: DateTime<Utc>,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Idempotency key.
    pub idempotency_key: Option<String>,
    /// Fingerprint of the submitted body.
    pub request_hash: String,
    /// Submission time.
    pub created_at: DateTime<Utc>,
}

/// What recording a service call did.
#[derive(Debug, Clone)]
pub enum InsertServiceCall {
    /// The call was recorded (and its event appended).
    Created(Box<ServiceCallRow>),
    /// A call with the same tenant and idempotency key exists: this one.
    Duplicate(Box<ServiceCallRow>),
}

/// A conditional change of a service call's status.
#[derive(Debug, Clone)]
pub struct ServiceCallTransition {
    /// Applies only while the row is in one of these statuses.
    pub from: Vec<ServiceCallStatus>,
    /// The status afterwards.
    pub to: ServiceCallStatus,
    /// When it happens; sets `scheduled_at`, `started_at` (once) or `finished_at`
    /// according to `to`.
    pub at: DateTime<Utc>,
    /// Records the run performing the call.
    pub set_run: Option<RunId>,
    /// Applies only when the row names this run.
    pub require_run: Option<RunId>,
    /// Records this attempt; applies only when the row's attempt is lower.
    pub attempt: Option<i32>,
    /// Response metadata to record.
    pub response: Option<Value>,
    /// Error metadata to record.
    pub error: Option<Value>,
    /// The event to append when the change applies.
    pub event: Option<NewEvent>,
    /// When the next attempt is due; every transition sets it (to none but when
    /// a retry is scheduled). A success clears the error.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Listing filter, newest first.
#[derive(Debug, Clone, Default)]
pub struct ServiceCallFilter {
    /// Only this status.
    pub status: Option<ServiceCallStatus>,
    /// Only calls carrying this tag.
    pub tag: Option<String>,
    /// Only calls due before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// Only calls older than this one (the cursor).
    pub before: Option<Uuid>,
    /// Page size.
    pub limit: i64,
}

/// Storage of scheduled service calls.
#[async_trait]
pub trait ServiceCallStore {
    /// Records a call as `Submitted` with its event, in one transaction; a call
    /// with the same tenant and idempotency key is returned instead.
    async fn insert_service_call(
        &self,
        call: &NewServiceCall,
        event: &NewEvent,
    ) -> StoreResult<InsertServiceCall>;

    /// Applies a transition and appends its event in one transaction. Returns
    /// the changed row, or `None` when the row was not in a status (run,
    /// attempt) the transition applies to, in which case nothing changed.
    async fn transition_service_call(
        &self,
        tenant: &TenantId,
        id: Uuid,
        change: &ServiceCallTransition,
    ) -> StoreResult<Option<ServiceCallRow>>;

    /// One call of a tenant.
    async fn get_service_call(
        &self,
        tenant: &TenantId,
        id: Uuid,
    ) -> StoreResult<Option<ServiceCallRow>>;

    /// A tenant's calls, newest first.
    async fn list_service_calls(
        &self,
        tenant: &TenantId,
        filter: &ServiceCallFilter,
    ) -> StoreResult<Vec<ServiceCallRow>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_from_stored_and_api_names_in_any_case() {
        for status in ServiceCallStatus::ALL {
            assert_eq!(status.as_str().parse::<ServiceCallStatus>(), Ok(status));
            assert_eq!(status.api_name().parse::<ServiceCallStatus>(), Ok(status));
        }
        assert_eq!("RUNNING".parse(), Ok(ServiceCallStatus::Running));
        assert!("done".parse::<ServiceCallStatus>().is_err());
    }

    #[test]
    fn only_succeeded_failed_and_cancelled_are_final() {
        let finals: Vec<_> = ServiceCallStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(
            finals,
            [
                ServiceCallStatus::Succeeded,
                ServiceCallStatus::Failed,
                ServiceCallStatus::Cancelled
            ]
        );
        assert_eq!(
            serde_json::to_value(ServiceCallStatus::Scheduled).unwrap(),
            "scheduled"
        );
        assert_eq!(
            serde_json::from_value::<ServiceCallStatus>("Scheduled".into()).unwrap(),
            ServiceCallStatus::Scheduled,
            "the spelling earlier versions wrote is still read"
        );
    }
}
