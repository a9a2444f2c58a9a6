//! The outbox routes: cancel an owner email or a follow-up call that has not gone
//! out, and put an email back in the outbox to be sent again. The rules live in
//! `workflows::discharge::outbox`; these handlers parse, call them and shape the
//! answer (`409` when a rule refuses).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::parse_id;
use super::response::{call_record, email_record};
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
pub async fn cancel_email(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "email")?;
    let row = outbox::cancel_email(&state.engine, &principal.tenant, id)
        .await
        .map_err(outbox_error)?;
    Ok(Json(email_record(&row)))
}

/// `POST /v1/discharge/emails/{id}/resend`: a `sent`, `failed` or `cancelled` email
/// goes back in the outbox, due now, with a new delivery run and a Message-ID of its
/// own. `202` with the email and `Location` of the run; `409` while it is in the
/// outbox already.
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
        axum::Json(email_record(&row)),
    )
        .into_response())
}

/// `POST /v1/discharge/calls/{id}/cancel`: a `scheduled` call is not placed (`409`
/// once placed, failed or found unconfigured); cancelling it again answers it again.
pub async fn cancel_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "call")?;
    let row = outbox::cancel_follow_up_call(&state.engine, &principal.tenant, id)
        .await
        .map_err(outbox_error)?;
    Ok(Json(call_record(&row)))
}
