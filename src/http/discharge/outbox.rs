//! The outbox routes: cancel an owner email or a follow-up call that has not gone
//! out, and put an email back in the outbox to be sent again. The rules live in
//! `workflows::discharge::outbox`; these handlers parse, call them and shape the
//! answer (`409` when a rule refuses).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::parse_id;
use super::records::{CallRecord, EmailRecord};
use crate::auth::Principal;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::workflows::discharge::outbox::{self, OutboxError};

/// The answer to an outbox change a rule refused or that failed.
fn outbox_error(e: OutboxError) -> ApiError {
    match e {
        OutboxError::NotFound(what) => ApiError::NotFound(what),
        OutboxError::Conflict(why) => ApiError::Conflict(why),
        OutboxError::Engine(e) => e.into(),
        OutboxError::Store(e) => e.into(),
        OutboxError::Unexpected(what) => ApiError::Internal(what.into()),
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
    let row = outbox::cancel_email(&state.engine, &principal.tenant, id)
        .await
        .map_err(outbox_error)?;
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
    let (row, run) = outbox::resend_email(&state.engine, &principal.tenant, id)
        .await
        .map_err(outbox_error)?;
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
    let row = outbox::cancel_follow_up_call(&state.engine, &principal.tenant, id)
        .await
        .map_err(outbox_error)?;
    Ok(Json(CallRecord::from(&row)))
}
