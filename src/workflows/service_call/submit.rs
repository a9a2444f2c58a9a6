//! Submitting a service call: the call and the run that performs it are written
//! together, so a submission the queue refuses records nothing; the call is then
//! marked `Scheduled` with its run. A repeat with the same idempotency key answers
//! the call recorded first.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::domain::service_call::{
    ServiceCall, ServiceCallError, ServiceCalls, Transition, ValidServiceCall, WORKFLOW,
};
use crate::engine::{
    CallSubmitted, Engine, EngineError, RunOptions, Scheduling, Submission, Submitted,
};
use crate::store::{InsertServiceCall, RunId, ServiceCallStatus, StoreError, TenantId};

/// A submitted call, as it stands once scheduled.
#[derive(Debug)]
pub struct SubmittedCall {
    /// The call.
    pub call: ServiceCall,
    /// False when an earlier submission with the same key recorded it.
    pub created: bool,
}

/// Why a call was not submitted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitCallError {
    /// The aggregate refused it (a reused idempotency key, a secret that could not
    /// be sealed) or the store failed under it.
    #[error(transparent)]
    Call(#[from] ServiceCallError),
    /// The run could not be submitted (a full queue, a stopping replica, ...).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The call vanished between being written and read back (erased meanwhile).
    #[error("the service call is gone")]
    Gone,
    /// Something that cannot happen did: a bug.
    #[error("{0}")]
    Unexpected(&'static str),
}

/// What a submission needs besides the validated call.
pub struct CallRequest<'a> {
    /// The caller's tenant.
    pub tenant: &'a TenantId,
    /// The validated call.
    pub valid: &'a ValidServiceCall,
    /// The `Idempotency-Key`, if given.
    pub idempotency_key: Option<String>,
    /// The fingerprint of the request body ([`ServiceCalls::request_hash`]).
    pub request_hash: String,
}

/// Records the call with its run and schedules it.
pub async fn submit_call(
    engine: &Engine,
    calls: &ServiceCalls,
    request: CallRequest<'_>,
) -> Result<SubmittedCall, SubmitCallError> {
    let now = engine.clock().now();
    let resumable = request.idempotency_key.is_some();
    let prepared = calls.prepare(
        request.tenant,
        request.valid,
        request.idempotency_key,
        request.request_hash,
        now,
    )?;
    let id = prepared.call.service_call_id;
    let run = run_submission(request.tenant, id, prepared.event.correlation_id.clone());
    let new_call = prepared.call.clone();
    // The call and its run are written together: a submission the queue refuses
    // (429) records nothing.
    let (outcome, run_id) = match engine
        .submit_service_call(run, Scheduling::default(), prepared)
        .await?
    {
        CallSubmitted::Created(run_id) => {
            let row = engine
                .store()
                .get_service_call(request.tenant, id)
                .await?
                .ok_or(SubmitCallError::Gone)?;
            (InsertServiceCall::Created(Box::new(row)), Some(run_id))
        }
        CallSubmitted::Exists(row) => (InsertServiceCall::Duplicate(row), None),
    };
    let submission = calls.recorded(&new_call, outcome)?;
    let mut call = submission.call;
    if let Some(run_id) = run_id {
        call = mark_scheduled(engine, calls, call, run_id).await?;
    } else if call.status == ServiceCallStatus::Submitted && call.run_id.is_none() {
        // Recorded, without its run, by an earlier version that wrote the two apart.
        call = schedule(engine, calls, call, resumable).await?;
    }
    Ok(SubmittedCall {
        call,
        created: submission.created,
    })
}

/// The run that performs call `id`.
fn run_submission(tenant: &TenantId, id: Uuid, correlation_id: Option<String>) -> Submission {
    Submission {
        tenant: tenant.clone(),
        workflow: WORKFLOW.into(),
        input: json!({"serviceCallId": id}),
        options: RunOptions::default(),
        idempotency_key: Some(run_key(id)),
        fingerprint: None,
        correlation_id,
    }
}

/// Submits the call's run (its idempotency key derives from the call, so a
/// repeat finds the same run) and marks the call `Scheduled` with it. When the
/// run cannot be submitted, a call that a repeat with the same key could resume
/// stays `Submitted`; any other is recorded `Failed` so that none lingers.
async fn schedule(
    engine: &Engine,
    calls: &ServiceCalls,
    call: ServiceCall,
    resumable: bool,
) -> Result<ServiceCall, SubmitCallError> {
    let submission = run_submission(&call.tenant, call.id, Some(call.correlation()));
    let run_id = match engine.submit(submission, Duration::ZERO).await {
        Ok(Submitted::Run { run_id, .. }) => run_id,
        Ok(Submitted::DryRun(_)) => {
            return Err(SubmitCallError::Unexpected(
                "a service-call run was planned as a dry run",
            ));
        }
        Err(e) => {
            tracing::warn!(service_call.id = %call.id, error = %e, resumable, "could not submit the service call's run");
            if !resumable {
                let reason = format!("the call could not be scheduled: {e}");
                abandon(calls, &call, &reason, engine.clock().now()).await;
            }
            return Err(e.into());
        }
    };
    mark_scheduled(engine, calls, call, run_id).await
}

/// Records a call that will never run as `Failed`; a failure to do so is logged,
/// since the caller is already answering with the reason it could not be scheduled.
async fn abandon(calls: &ServiceCalls, call: &ServiceCall, reason: &str, now: DateTime<Utc>) {
    if let Err(store) = calls.abandon(call, reason, now).await {
        tracing::warn!(service_call.id = %call.id, error = %store, "could not record the unscheduled call as failed");
    }
}

/// `Submitted → Scheduled` with the run that performs the call (the run's first
/// step does the same, should this replica die first).
async fn mark_scheduled(
    engine: &Engine,
    calls: &ServiceCalls,
    call: ServiceCall,
    run_id: RunId,
) -> Result<ServiceCall, SubmitCallError> {
    match calls.schedule(&call, run_id, engine.clock().now()).await? {
        Transition::Applied(c) | Transition::Unchanged(Some(c)) => Ok(c),
        Transition::Unchanged(None) => Err(SubmitCallError::Gone),
    }
}

/// The idempotency key of a call's run: derived from the call, so a repeat finds
/// the same run.
fn run_key(call: Uuid) -> String {
    format!("service-call:{call}")
}
