//! Cancelling a service call on a client's request: only a call that has not
//! started (`Submitted` or `Scheduled`) can be cancelled; cancelling a cancelled
//! call answers it again. The call's run is cancelled too, so it never sends.

use uuid::Uuid;

use crate::domain::service_call::{ServiceCall, ServiceCalls, Transition};
use crate::engine::{Engine, EngineError};
use crate::store::{ServiceCallStatus, StoreError, TenantId};

/// Why a call was not cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CancelCallError {
    /// The tenant has no call with this id.
    #[error("the service call is unknown")]
    NotFound,
    /// The call is running or final; it carries the status it is in.
    #[error("the service call is {0}; only submitted or scheduled calls can be cancelled")]
    NotCancellable(ServiceCallStatus),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Cancels call `id` of `tenant` and then its run, and answers the call as it
/// now stands.
pub async fn cancel_call(
    engine: &Engine,
    calls: &ServiceCalls,
    tenant: &TenantId,
    id: Uuid,
) -> Result<ServiceCall, CancelCallError> {
    let call = calls
        .get(tenant, id)
        .await?
        .ok_or(CancelCallError::NotFound)?;
    let call = match calls.cancel(&call, engine.clock().now()).await? {
        Transition::Applied(c) => c,
        Transition::Unchanged(Some(c)) if c.status == ServiceCallStatus::Cancelled => c,
        Transition::Unchanged(Some(c)) => return Err(CancelCallError::NotCancellable(c.status)),
        Transition::Unchanged(None) => return Err(CancelCallError::NotFound),
    };
    if let Some(run) = call.run_id {
        // The call is already Cancelled: should the run get to it, it sends nothing,
        // so a run that cannot be cancelled (already final, erased) is no failure.
        match engine.cancel(tenant, run).await {
            Ok(_) | Err(EngineError::InvalidState(_) | EngineError::NotFound) => {}
            Err(e) => {
                tracing::warn!(service_call.id = %call.id, run.id = %run, error = %e, "could not cancel the service call's run");
            }
        }
    }
    Ok(call)
}
