//! The `ServiceCall` aggregate: the only writer of service calls. Its lifecycle
//! is `Submitted → Scheduled → Running → Succeeded | Failed`, with `Running →
//! Scheduled` while a retry is due (with `nextAttemptAt` and the last error), and
//! `Cancelled` from any status but the final ones: by the caller before it runs,
//! or by the cancellation of its run. Each transition is a conditional update (it applies only from
//! the statuses it names) committed with its event, so a duplicate firing or a
//! duplicate result changes nothing and publishes nothing.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::call_parts::{KeyHeader, ServiceCallLimits};
use super::keeping::HeaderKeeper;
use super::outcome::{FailureKind, FailureMeta, ResponseMeta};
use super::record::{ServiceCall, StoredHeader, body_to_value};
use super::request::{ValidServiceCall, validate};
use super::sealing::SealError;
use crate::config::ServiceCallSettings;
use crate::domain::validation::Problems;
use crate::providers::outbound::{OutboundPolicy, OutboundRequest};
use crate::store::{
    AttachedServiceCall, InsertServiceCall, NewEvent, NewServiceCall, RunId, ServiceCallFilter,
    ServiceCallStatus, ServiceCallTransition, Store, StoreError, TenantId,
};

/// The workflow that performs service calls.
pub const WORKFLOW: &str = "service-call";

/// Who service-call events come from.
const SOURCE: &str = "service-call";

/// Why an operation on service calls failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceCallError {
    /// The idempotency key was used before with a different request.
    #[error("the idempotency key was already used for a different request")]
    KeyReused,
    /// A secret header value could not be sealed.
    #[error("sealing a secret header failed: {0}")]
    Seal(#[from] SealError),
    /// The store failed.
    #[error("store failure: {0}")]
    Store(#[from] StoreError),
}

/// What a transition did.
#[derive(Debug, Clone)]
pub enum Transition {
    /// It applied; the call as it is now.
    Applied(ServiceCall),
    /// The call was not in a state the transition applies to; nothing changed.
    /// The call as it is (`None` when it does not exist).
    Unchanged(Option<ServiceCall>),
}

/// What submitting a call did: the call recorded, and whether this submission
/// created it. Not the engine's `Submission`, which asks for a run.
#[derive(Debug, Clone)]
pub struct RecordedCall {
    /// The call (new, or the one the idempotency key named).
    pub call: ServiceCall,
    /// False when an earlier submission with the same key recorded it.
    pub created: bool,
}

/// Scheduled service calls: validation, sealing and every state change.
pub struct ServiceCalls {
    store: Arc<dyn Store>,
    keeper: HeaderKeeper,
    limits: ServiceCallLimits,
    policy: Arc<OutboundPolicy>,
    /// The header carrying a call's id unless the call names another.
    key_header: Option<String>,
}

impl ServiceCalls {
    /// Builds the aggregate's service from the settings and the outbound policy.
    pub fn new(
        store: Arc<dyn Store>,
        settings: &ServiceCallSettings,
        policy: Arc<OutboundPolicy>,
    ) -> Result<Self, SealError> {
        let keeper = HeaderKeeper::new(&settings.encryption_key, &settings.secret_headers)?;
        if !keeper.seals() {
            tracing::warn!(
                "service_calls.encryption_key is not configured: values of secret headers \
                 (Authorization and configured names) will not be stored nor sent"
            );
        }
        Ok(Self {
            store,
            keeper,
            limits: ServiceCallLimits {
                max_body_bytes: settings.max_body_bytes,
                max_due_horizon: settings.max_due_horizon,
            },
            policy,
            key_header: Some(settings.idempotency_header.clone()).filter(|h| !h.is_empty()),
        })
    }

    /// Validates a submission body, reporting every problem.
    pub fn validate(&self, body: &Value, now: DateTime<Utc>) -> Result<ValidServiceCall, Problems> {
        validate(body, now, &self.limits, &self.policy)
    }

    /// The fingerprint of a submission body, to recognise a reused idempotency key.
    pub fn request_hash(body: &Value) -> String {
        hex::encode(Sha256::digest(body.to_string().as_bytes()))
    }

    /// Builds the record of a validated call, `Submitted`, with its
    /// `ServiceCallSubmitted` event, for the store to write (alone, or with the run
    /// that performs it).
    pub fn prepare(
        &self,
        tenant: &TenantId,
        valid: &ValidServiceCall,
        idempotency_key: Option<String>,
        request_hash: String,
        now: DateTime<Utc>,
    ) -> Result<AttachedServiceCall, ServiceCallError> {
        let id = Uuid::now_v7();
        let mut headers = self.keeper.keep(tenant, id, &valid.headers)?;
        headers.extend(self.key_header_of(valid, id));
        let call = NewServiceCall {
            tenant_id: tenant.clone(),
            service_call_id: id,
            name: valid.name.clone(),
            method: valid.method.to_string(),
            url: valid.url.to_string(),
            headers: serde_json::to_value(&headers).unwrap_or(Value::Null),
            body: valid.body.as_ref().map(body_to_value),
            due_at: valid.due_at,
            correlation_id: valid.correlation_id.clone(),
            tags: valid.tags.clone(),
            idempotency_key,
            request_hash,
            created_at: now,
        };
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "ServiceCallSubmitted".into(),
            correlation_id: Some(
                call.correlation_id
                    .clone()
                    .unwrap_or_else(|| id.to_string()),
            ),
            run_id: None,
            workflow: Some(WORKFLOW.into()),
            source: SOURCE.into(),
            data: json!({
                "serviceCallId": id,
                "status": ServiceCallStatus::Submitted,
                "method": call.method,
                "dueAt": call.due_at,
            }),
            created_at: now,
        };
        Ok(AttachedServiceCall { call, event })
    }

    /// What the store answered for a prepared call: the new call (warning about
    /// secret values that could not be kept), or the earlier call with the same
    /// key, which must have been submitted with the same body.
    pub fn recorded(
        &self,
        prepared: &NewServiceCall,
        outcome: InsertServiceCall,
    ) -> Result<RecordedCall, ServiceCallError> {
        match outcome {
            InsertServiceCall::Created(row) => {
                let call = ServiceCall::try_from(*row)?;
                let dropped = call.dropped_headers();
                if !dropped.is_empty() {
                    tracing::warn!(
                        service_call.id = %call.id,
                        headers = ?dropped,
                        "secret header values not stored (no service_calls.encryption_key); they will not be sent"
                    );
                }
                Ok(RecordedCall {
                    call,
                    created: true,
                })
            }
            InsertServiceCall::Duplicate(row) => {
                if row.request_hash != prepared.request_hash {
                    return Err(ServiceCallError::KeyReused);
                }
                Ok(RecordedCall {
                    call: ServiceCall::try_from(*row)?,
                    created: false,
                })
            }
        }
    }

    /// Records a validated call as `Submitted` (publishing `ServiceCallSubmitted`),
    /// or returns the call an earlier submission with the same key recorded.
    pub async fn submit(
        &self,
        tenant: &TenantId,
        valid: &ValidServiceCall,
        idempotency_key: Option<String>,
        request_hash: String,
        now: DateTime<Utc>,
    ) -> Result<RecordedCall, ServiceCallError> {
        let prepared = self.prepare(tenant, valid, idempotency_key, request_hash, now)?;
        let outcome = self
            .store
            .insert_service_call(&prepared.call, &prepared.event)
            .await?;
        self.recorded(&prepared.call, outcome)
    }

    /// The header carrying the call's id on every attempt, kept with the request
    /// like any other header; none when the call turned it off, or gives a value
    /// for that header itself (the caller's value is sent then).
    fn key_header_of(&self, valid: &ValidServiceCall, id: Uuid) -> Option<StoredHeader> {
        let name = match &valid.key_header {
            KeyHeader::Configured => self.key_header.clone()?,
            KeyHeader::Named(name) => name.clone(),
            KeyHeader::Off => return None,
        };
        let given = valid
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(&name));
        (!given).then(|| StoredHeader::Plain {
            name,
            value: id.to_string(),
        })
    }

    /// `Submitted → Scheduled`, recording the run that performs the call.
    pub async fn schedule(
        &self,
        call: &ServiceCall,
        run: RunId,
        now: DateTime<Utc>,
    ) -> Result<Transition, StoreError> {
        let data = json!({"dueAt": call.due_at});
        let mut change = self.change(
            call,
            &[ServiceCallStatus::Submitted],
            ServiceCallStatus::Scheduled,
            now,
            Some(run),
            data,
        );
        change.set_run = Some(run);
        self.apply(call, change).await
    }

    /// Claims attempt `attempt` of `run`: `Scheduled → Running` for the first,
    /// `Running → Running` for later ones. Applies only for the run recorded on
    /// the call and an attempt higher than any before, so each attempt makes at
    /// most one request.
    pub async fn start_attempt(
        &self,
        call: &ServiceCall,
        run: RunId,
        attempt: u32,
        now: DateTime<Utc>,
    ) -> Result<Transition, StoreError> {
        let attempt_no = i32::try_from(attempt).unwrap_or(i32::MAX);
        let mut first = self.change(
            call,
            &[ServiceCallStatus::Scheduled],
            ServiceCallStatus::Running,
            now,
            Some(run),
            json!({"attempt": attempt}),
        );
        first.require_run = Some(run);
        first.attempt = Some(attempt_no);
        if let Transition::Applied(c) = self.apply(call, first).await? {
            return Ok(Transition::Applied(c));
        }
        let mut again = self.change(
            call,
            &[ServiceCallStatus::Running],
            ServiceCallStatus::Running,
            now,
            Some(run),
            Value::Null,
        );
        again.require_run = Some(run);
        again.attempt = Some(attempt_no);
        // Another attempt of a running call is no lifecycle transition: no event.
        again.event = None;
        self.apply(call, again).await
    }

    /// `Running → Succeeded` with the server's answer.
    pub async fn succeed(
        &self,
        call: &ServiceCall,
        run: RunId,
        response: &ResponseMeta,
        now: DateTime<Utc>,
    ) -> Result<Transition, StoreError> {
        let data = json!({"statusCode": response.status_code, "attempt": call.attempts});
        let mut change = self.change(
            call,
            &[ServiceCallStatus::Running],
            ServiceCallStatus::Succeeded,
            now,
            Some(run),
            data,
        );
        change.require_run = Some(run);
        change.response = serde_json::to_value(response).ok();
        self.apply(call, change).await
    }

    /// `Running → Failed` with the last error (and the answer, if there was one).
    pub async fn fail(
        &self,
        call: &ServiceCall,
        run: RunId,
        failure: &FailureMeta,
        response: Option<&ResponseMeta>,
        now: DateTime<Utc>,
    ) -> Result<Transition, StoreError> {
        let data = json!({"kind": failure.kind, "statusCode": failure.status_code, "attempt": failure.attempt});
        let mut change = self.change(
            call,
            &[ServiceCallStatus::Running],
            ServiceCallStatus::Failed,
            now,
            Some(run),
            data,
        );
        change.require_run = Some(run);
        change.error = serde_json::to_value(failure).ok();
        change.response = response.and_then(|r| serde_json::to_value(r).ok());
        self.apply(call, change).await
    }

    /// `Scheduled | Running → Failed` when attempt `attempt` of `run` never
    /// reported (its process stopped) and no attempt is left: the call's outcome
    /// is unknown, so it fails with `never_reported` (the engine's words for such an
    /// attempt) and whether the request may have been sent.
    pub async fn lose(
        &self,
        call: &ServiceCall,
        run: RunId,
        attempt: u32,
        never_reported: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition, StoreError> {
        let sent = if call.status == ServiceCallStatus::Running && call.attempts >= attempt {
            "the server may have received the request"
        } else {
            "the request was not sent"
        };
        let message = format!("{never_reported}; {sent}");
        let failure = FailureMeta::new(FailureKind::Lost, message, attempt);
        let data = json!({"kind": failure.kind, "attempt": attempt});
        let mut change = self.change(
            call,
            &[ServiceCallStatus::Scheduled, ServiceCallStatus::Running],
            ServiceCallStatus::Failed,
            now,
            Some(run),
            data,
        );
        change.require_run = Some(run);
        change.error = serde_json::to_value(&failure).ok();
        self.apply(call, change).await
    }

    /// `Running → Scheduled` after a failed attempt that will be retried at
    /// `next_attempt_at`, keeping the failure (and the answer, if any) to show.
    pub async fn retry_later(
        &self,
        call: &ServiceCall,
        run: RunId,
        failure: &FailureMeta,
        response: Option<&ResponseMeta>,
        next_attempt_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Transition, StoreError> {
        let data = json!({
            "kind": failure.kind,
            "statusCode": failure.status_code,
            "attempt": failure.attempt,
            "nextAttemptAt": next_attempt_at,
        });
        let mut change = self.change(
            call,
            &[ServiceCallStatus::Running],
            ServiceCallStatus::Scheduled,
            now,
            Some(run),
            data,
        );
        if let Some(event) = change.event.as_mut() {
            event.event_type = "ServiceCallRetryScheduled".into();
        }
        change.require_run = Some(run);
        change.error = serde_json::to_value(failure).ok();
        change.response = response.and_then(|r| serde_json::to_value(r).ok());
        change.next_attempt_at = Some(next_attempt_at);
        self.apply(call, change).await
    }

    /// `Submitted | Scheduled | Running → Cancelled` because `run`, the call's run,
    /// was cancelled; `failure` says what an attempt in flight may have left behind.
    /// A call another run performs is left alone.
    pub async fn cancel_for_run(
        &self,
        call: &ServiceCall,
        run: RunId,
        failure: Option<&FailureMeta>,
        now: DateTime<Utc>,
    ) -> Result<Transition, StoreError> {
        let mut change = self.change(
            call,
            &[
                ServiceCallStatus::Submitted,
                ServiceCallStatus::Scheduled,
                ServiceCallStatus::Running,
            ],
            ServiceCallStatus::Cancelled,
            now,
            Some(run),
            json!({"reason": "run cancelled"}),
        );
        change.require_run = Some(run);
        change.error = failure.and_then(|f| serde_json::to_value(f).ok());
        self.apply(call, change).await
    }

    /// `Submitted → Failed` when the call's run could not be submitted.
    pub async fn abandon(
        &self,
        call: &ServiceCall,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition, StoreError> {
        let failure = FailureMeta::new(FailureKind::NotScheduled, reason, 0);
        let data = json!({"kind": failure.kind, "attempt": 0});
        let mut change = self.change(
            call,
            &[ServiceCallStatus::Submitted],
            ServiceCallStatus::Failed,
            now,
            None,
            data,
        );
        change.error = serde_json::to_value(&failure).ok();
        self.apply(call, change).await
    }

    /// `Submitted | Scheduled → Cancelled`.
    pub async fn cancel(
        &self,
        call: &ServiceCall,
        now: DateTime<Utc>,
    ) -> Result<Transition, StoreError> {
        let change = self.change(
            call,
            &[ServiceCallStatus::Submitted, ServiceCallStatus::Scheduled],
            ServiceCallStatus::Cancelled,
            now,
            call.run_id,
            json!({}),
        );
        self.apply(call, change).await
    }

    /// One call of a tenant.
    pub async fn get(
        &self,
        tenant: &TenantId,
        id: Uuid,
    ) -> Result<Option<ServiceCall>, StoreError> {
        self.store
            .get_service_call(tenant, id)
            .await?
            .map(ServiceCall::try_from)
            .transpose()
    }

    /// A page of a tenant's calls, newest first.
    pub async fn list(
        &self,
        tenant: &TenantId,
        filter: &ServiceCallFilter,
    ) -> Result<Vec<ServiceCall>, StoreError> {
        self.store
            .list_service_calls(tenant, filter)
            .await?
            .into_iter()
            .map(ServiceCall::try_from)
            .collect()
    }

    /// The request to send: secret values opened, dropped ones left out, a
    /// content type added for a body that has none.
    pub fn outbound_request(&self, call: &ServiceCall) -> Result<OutboundRequest, String> {
        self.keeper.outbound_request(call)
    }

    /// A transition of `call` from `from` to `to` with its event.
    fn change(
        &self,
        call: &ServiceCall,
        from: &[ServiceCallStatus],
        to: ServiceCallStatus,
        at: DateTime<Utc>,
        run: Option<RunId>,
        extra: Value,
    ) -> ServiceCallTransition {
        let mut data = json!({"serviceCallId": call.id, "status": to});
        if let (Value::Object(map), Value::Object(more)) = (&mut data, extra) {
            map.extend(more);
        }
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: to.event_name().into(),
            correlation_id: Some(call.correlation()),
            run_id: run.or(call.run_id),
            workflow: Some(WORKFLOW.into()),
            source: SOURCE.into(),
            data,
            created_at: at,
        };
        ServiceCallTransition {
            from: from.to_vec(),
            to,
            at,
            set_run: None,
            require_run: None,
            attempt: None,
            response: None,
            error: None,
            event: Some(event),
            next_attempt_at: None,
        }
    }

    async fn apply(
        &self,
        call: &ServiceCall,
        change: ServiceCallTransition,
    ) -> Result<Transition, StoreError> {
        match self
            .store
            .transition_service_call(&call.tenant, call.id, &change)
            .await?
        {
            Some(row) => Ok(Transition::Applied(ServiceCall::try_from(row)?)),
            None => Ok(Transition::Unchanged(
                self.get(&call.tenant, call.id).await?,
            )),
        }
    }
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
