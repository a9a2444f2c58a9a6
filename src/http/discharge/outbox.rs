//! The outbox routes: cancel an owner email or a follow-up call that has not gone
//! out, and put an email back in the outbox to be sent again.
//!
//! Cancelling stops the delivery run first and then marks the row, so nothing can
//! send the email (or place the call) after the answer says it is cancelled. An
//! attempt already talking to the provider is given the engine's short grace to
//! finish; if it gets the message out, the answer is `409` and the row says `sent`.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::parse_id;
use super::records::{CallRecord, EmailRecord};
use crate::auth::Principal;
use crate::engine::{EngineError, RunOptions, Submission, Submitted};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::store::{CallStatus, EmailOutcome, EmailStatus, RunId, TenantId};
use crate::workflows::discharge::EMAIL_DELIVERY;

/// Cancels a run unless it is already final (or gone).
async fn stop_run(state: &AppState, tenant: &TenantId, run: RunId) -> ApiResult<()> {
    match state.engine.cancel(tenant, run).await {
        Ok(_) | Err(EngineError::InvalidState(_) | EngineError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `POST /v1/discharge/emails/{id}/cancel`: a `prepared` or `scheduled` email is
/// not sent (`409` once sent or failed); cancelling it again answers it again.
#[utoipa::path(post, path = "/v1/discharge/emails/{id}/cancel", operation_id = "postDischargeEmailsIdCancel", tag = "discharge",
    params(("id" = String, Path, description = "The email's id (a UUID; any other text is an unknown email).")),
    responses(
        (status = 200, description = "The email, cancelled (also when it was cancelled before): its delivery run is cancelled first, so nothing sends it after this answer.", body = EmailRecord),
        (status = 409, description = "The email was sent or failed (also when an attempt under way got it out meanwhile).", content_type = "application/problem+json", body = crate::http::error::Problem),
    ))]
pub async fn cancel_email(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<EmailRecord>> {
    let id = parse_id(&id, "email")?;
    let tenant = &principal.tenant;
    let row = state
        .store
        .get_email(tenant, id)
        .await?
        .ok_or(ApiError::NotFound("email"))?;
    match row.status {
        EmailStatus::Cancelled => return Ok(Json(EmailRecord::from(&row))),
        EmailStatus::Sent | EmailStatus::Failed => {
            return Err(ApiError::Conflict(format!(
                "the email is {}; only prepared or scheduled emails can be cancelled",
                row.status
            )));
        }
        EmailStatus::Prepared | EmailStatus::Scheduled => {}
    }
    if let Some(run) = row.delivery_run_id {
        stop_run(&state, tenant, run).await?;
    }
    let now = state.engine.clock().now();
    let row = state
        .store
        .cancel_email(tenant, id, None, now)
        .await?
        .ok_or(ApiError::NotFound("email"))?;
    if row.status != EmailStatus::Cancelled {
        return Err(ApiError::Conflict(format!(
            "the email was {} before it could be cancelled",
            row.status
        )));
    }
    tracing::info!(email.id = %id, "owner email cancelled");
    Ok(Json(EmailRecord::from(&row)))
}

/// `POST /v1/discharge/emails/{id}/resend`: a `sent`, `failed` or `cancelled` email
/// goes back in the outbox, due now, with a new delivery run and a Message-ID of its
/// own. `202` with the email and `Location` of the run; `409` while it is in the
/// outbox already.
#[utoipa::path(post, path = "/v1/discharge/emails/{id}/resend", operation_id = "postDischargeEmailsIdResend", tag = "discharge",
    params(("id" = String, Path, description = "The email's id (a UUID; any other text is an unknown email).")),
    responses(
        (status = 202, description = "The email, back in the outbox and due now, with a new delivery run; each resend has its own Message-ID.", body = EmailRecord,
            headers(("Location" = String, description = "`/v1/runs/{id}` of the delivery run."))),
        (status = 409, description = "The email is prepared or scheduled: in the outbox already (or it changed meanwhile).", content_type = "application/problem+json", body = crate::http::error::Problem),
    ))]
pub async fn resend_email(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id, "email")?;
    let tenant = &principal.tenant;
    let row = state
        .store
        .get_email(tenant, id)
        .await?
        .ok_or(ApiError::NotFound("email"))?;
    if matches!(row.status, EmailStatus::Prepared | EmailStatus::Scheduled) {
        return Err(ApiError::Conflict(format!(
            "the email is {}: it is in the outbox already",
            row.status
        )));
    }
    let now = state.engine.clock().now();
    let row = state
        .store
        .resend_email(tenant, id, now, now)
        .await?
        .ok_or_else(|| ApiError::Conflict("the email changed meanwhile; read it again".into()))?;
    let submission = Submission {
        tenant: tenant.clone(),
        workflow: EMAIL_DELIVERY.into(),
        input: json!({"emailId": id}),
        options: RunOptions::default(),
        idempotency_key: Some(format!("email-resend:{id}:{}", row.resends)),
        correlation_id: None,
        fingerprint: None,
    };
    let run = match state.engine.submit(submission, Duration::ZERO).await {
        Ok(Submitted::Run { run_id, .. }) => run_id,
        Ok(Submitted::DryRun(_)) => {
            return Err(ApiError::Internal(
                "an email delivery was planned as a dry run".into(),
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
            if let Err(store) = state
                .store
                .finish_email_attempt(tenant, id, &outcome, now)
                .await
            {
                tracing::warn!(email.id = %id, error = %store, "could not record the unscheduled resend");
            }
            return Err(e.into());
        }
    };
    state
        .store
        .set_email_delivery_run(tenant, id, run, now)
        .await?;
    let row = state
        .store
        .get_email(tenant, id)
        .await?
        .ok_or(ApiError::NotFound("email"))?;
    tracing::info!(email.id = %id, delivery.run = %run, "owner email put back in the outbox");
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/v1/runs/{run}"))],
        axum::Json(EmailRecord::from(&row)),
    )
        .into_response())
}

/// `POST /v1/discharge/calls/{id}/cancel`: a `scheduled` call is not placed (`409`
/// once placed, failed or found unconfigured); cancelling it again answers it again.
#[utoipa::path(post, path = "/v1/discharge/calls/{id}/cancel", operation_id = "postDischargeCallsIdCancel", tag = "discharge",
    params(("id" = String, Path, description = "The call's id (a UUID; any other text is an unknown call).")),
    responses(
        (status = 200, description = "The call, cancelled (also when it was cancelled before): its placement run is cancelled first, so nothing places it after this answer.", body = CallRecord),
        (status = 409, description = "The call was placed, failed or found no voice provider configured.", content_type = "application/problem+json", body = crate::http::error::Problem),
    ))]
pub async fn cancel_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CallRecord>> {
    let id = parse_id(&id, "call")?;
    let tenant = &principal.tenant;
    let row = state
        .store
        .get_call(tenant, id)
        .await?
        .ok_or(ApiError::NotFound("call"))?;
    match row.status {
        CallStatus::Cancelled => return Ok(Json(CallRecord::from(&row))),
        CallStatus::Placed | CallStatus::Failed | CallStatus::NotConfigured => {
            return Err(ApiError::Conflict(format!(
                "the call is {}; only scheduled calls can be cancelled",
                row.status
            )));
        }
        CallStatus::Scheduled => {}
    }
    if let Some(run) = row.placement_run_id {
        stop_run(&state, tenant, run).await?;
    }
    let now = state.engine.clock().now();
    let row = state
        .store
        .cancel_call(tenant, id, None, now)
        .await?
        .ok_or(ApiError::NotFound("call"))?;
    if row.status != CallStatus::Cancelled {
        return Err(ApiError::Conflict(format!(
            "the call was {} before it could be cancelled",
            row.status
        )));
    }
    tracing::info!(call.id = %id, "follow-up call cancelled");
    Ok(Json(CallRecord::from(&row)))
}
