//! The outbox rules: cancelling an owner email or a follow-up call that has not
//! gone out, and putting an email back in the outbox to be sent again.
//!
//! Cancelling stops the delivery run first and then marks the row, so nothing can
//! send the email (or place the call) after the answer says it is cancelled. An
//! attempt already talking to the provider is given the engine's short grace to
//! finish; if it gets the message out, the cancel is refused and the row says `sent`.

use std::time::Duration;

use uuid::Uuid;

use super::EMAIL_DELIVERY;
use super::input::EmailDelivery;
use crate::engine::{Engine, EngineError, RunOptions, Submission, Submitted};
use crate::store::{
    CallRow, CallStatus, EmailOutcome, EmailRow, EmailStatus, RunId, StoreError, TenantId,
};

/// Why an outbox change was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The tenant has no such email or call (the name says which).
    #[error("the {0} is unknown")]
    NotFound(&'static str),
    /// The email or call is in a state the change does not apply to; the text
    /// says which and why.
    #[error("{0}")]
    Conflict(String),
    /// The engine refused (a full queue, a stopping replica, ...).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that cannot happen did: a bug.
    #[error("{0}")]
    Unexpected(&'static str),
}

/// Cancels a run unless it is already final (or gone).
async fn stop_run(engine: &Engine, tenant: &TenantId, run: RunId) -> Result<(), EngineError> {
    match engine.cancel(tenant, run).await {
        Ok(_) | Err(EngineError::InvalidState(_) | EngineError::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Cancels a `prepared` or `scheduled` email (refused once sent or failed);
/// cancelling a cancelled email answers it again.
pub async fn cancel_email(
    engine: &Engine,
    tenant: &TenantId,
    id: Uuid,
) -> Result<EmailRow, OutboxError> {
    let store = engine.store();
    let row = store
        .get_email(tenant, id)
        .await?
        .ok_or(OutboxError::NotFound("email"))?;
    match row.status {
        EmailStatus::Cancelled => return Ok(row),
        EmailStatus::Sent | EmailStatus::Failed => {
            return Err(OutboxError::Conflict(format!(
                "the email is {}; only prepared or scheduled emails can be cancelled",
                row.status
            )));
        }
        EmailStatus::Prepared | EmailStatus::Scheduled => {}
    }
    if let Some(run) = row.delivery_run_id {
        stop_run(engine, tenant, run).await?;
    }
    let row = store
        .cancel_email(tenant, id, None, engine.clock().now())
        .await?
        .ok_or(OutboxError::NotFound("email"))?;
    if row.status != EmailStatus::Cancelled {
        return Err(OutboxError::Conflict(format!(
            "the email was {} before it could be cancelled",
            row.status
        )));
    }
    tracing::info!(email.id = %id, "owner email cancelled");
    Ok(row)
}

/// A `sent`, `failed` or `cancelled` email goes back in the outbox, due now, with
/// a new delivery run (answered with the email) and a Message-ID of its own;
/// refused while it is in the outbox already.
pub async fn resend_email(
    engine: &Engine,
    tenant: &TenantId,
    id: Uuid,
) -> Result<(EmailRow, RunId), OutboxError> {
    let store = engine.store();
    let row = store
        .get_email(tenant, id)
        .await?
        .ok_or(OutboxError::NotFound("email"))?;
    if matches!(row.status, EmailStatus::Prepared | EmailStatus::Scheduled) {
        return Err(OutboxError::Conflict(format!(
            "the email is {}: it is in the outbox already",
            row.status
        )));
    }
    // Written before the email changes, so a failure here leaves it as it was.
    let input = serde_json::to_value(EmailDelivery { email_id: id })
        .map_err(|_| OutboxError::Unexpected("an email delivery's input cannot be written"))?;
    let now = engine.clock().now();
    let row = store
        .resend_email(tenant, id, now, now)
        .await?
        .ok_or_else(|| {
            OutboxError::Conflict("the email changed meanwhile; read it again".into())
        })?;
    let submission = Submission {
        tenant: tenant.clone(),
        workflow: EMAIL_DELIVERY.into(),
        input,
        options: RunOptions::default(),
        idempotency_key: Some(format!("email-resend:{id}:{}", row.resends)),
        correlation_id: None,
        fingerprint: None,
    };
    let run = match engine.submit(submission, Duration::ZERO).await {
        Ok(Submitted::Run { run_id, .. }) => run_id,
        Ok(Submitted::DryRun(_)) => {
            return Err(OutboxError::Unexpected(
                "an email delivery was planned as a dry run",
            ));
        }
        Err(e) => {
            // Not left in the outbox with no run to deliver it.
            let outcome = EmailOutcome {
                status: EmailStatus::Failed,
                last_error: Some(format!("the resend could not be scheduled: {e}")),
                delivered_via: None,
                message_id: None,
                sent_at: None,
            };
            if let Err(failed) = store.finish_email_attempt(tenant, id, &outcome, now).await {
                tracing::warn!(email.id = %id, error = %failed, "could not record the unscheduled resend");
            }
            return Err(e.into());
        }
    };
    store.set_email_delivery_run(tenant, id, run, now).await?;
    let row = store
        .get_email(tenant, id)
        .await?
        .ok_or(OutboxError::NotFound("email"))?;
    tracing::info!(email.id = %id, delivery.run = %run, "owner email put back in the outbox");
    Ok((row, run))
}

/// Cancels a `scheduled` follow-up call (refused once placed, failed or found
/// unconfigured); cancelling a cancelled call answers it again.
pub async fn cancel_follow_up_call(
    engine: &Engine,
    tenant: &TenantId,
    id: Uuid,
) -> Result<CallRow, OutboxError> {
    let store = engine.store();
    let row = store
        .get_call(tenant, id)
        .await?
        .ok_or(OutboxError::NotFound("call"))?;
    match row.status {
        CallStatus::Cancelled => return Ok(row),
        CallStatus::Placed | CallStatus::Failed | CallStatus::NotConfigured => {
            return Err(OutboxError::Conflict(format!(
                "the call is {}; only scheduled calls can be cancelled",
                row.status
            )));
        }
        CallStatus::Scheduled => {}
    }
    if let Some(run) = row.placement_run_id {
        stop_run(engine, tenant, run).await?;
    }
    let row = store
        .cancel_call(tenant, id, None, engine.clock().now())
        .await?
        .ok_or(OutboxError::NotFound("call"))?;
    if row.status != CallStatus::Cancelled {
        return Err(OutboxError::Conflict(format!(
            "the call was {} before it could be cancelled",
            row.status
        )));
    }
    tracing::info!(call.id = %id, "follow-up call cancelled");
    Ok(row)
}
