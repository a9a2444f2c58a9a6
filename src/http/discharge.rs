//! The discharge API: `POST /v1/discharge/orchestrations` runs the `discharge`
//! workflow (synchronously by default) and answers with what each step did and how
//! long it took; the other routes read the stored case, summary, email and call,
//! and a past orchestration's result, and cancel or resend what is in the outbox.

mod outbox;
mod request;
mod response;

pub use outbox::{cancel_call, cancel_email, resend_email};

use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::runs::{WaitQuery, fingerprint, idempotency_key, submission_response, wait_param};
use crate::auth::Principal;
use crate::engine::{Submission, Submitted};
use crate::store::RunId;
use crate::workflows::discharge::WORKFLOW;

fn parse_id(raw: &str, what: &'static str) -> ApiResult<Uuid> {
    raw.parse().map_err(|_| ApiError::NotFound(what))
}

/// `POST /v1/discharge/orchestrations?wait=30s`: `{input, steps?, options?,
/// correlationId?}`. `200` with the result when the run ends within the wait (or a
/// dry run's plan), else `202` with `Location`.
pub async fn orchestrate(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<WaitQuery>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let def = state
        .engine
        .registry()
        .get(WORKFLOW)
        .ok_or(ApiError::NotFound("workflow"))?;
    let wait = wait_param(
        &state,
        q.wait.as_deref(),
        state.settings.engine.default_wait,
    )?;
    let key = idempotency_key(&headers)?;
    let region = &state.settings.discharge.default_phone_region;
    let valid = request::validate(&def, &body, region).map_err(ApiError::Validation)?;
    if let Some(case_id) = valid.input.existing_case()
        && state
            .store
            .get_case(&principal.tenant, case_id)
            .await?
            .is_none()
    {
        return Err(ApiError::NotFound("case"));
    }
    let submission = Submission {
        tenant: principal.tenant,
        workflow: WORKFLOW.to_string(),
        input: valid.input.to_value(),
        options: valid.options,
        fingerprint: key.as_ref().map(|_| fingerprint(&body)),
        idempotency_key: key,
        correlation_id: valid.correlation_id,
    };
    match state.engine.submit(submission, wait).await? {
        Submitted::DryRun(plan) => Ok(axum::Json(response::dry_run(&plan)).into_response()),
        Submitted::Run {
            run_id,
            created,
            finished,
        } => Ok(submission_response(
            run_id,
            created,
            finished.map(|view| response::orchestration(&view)),
            None,
        )),
    }
}

/// `GET /v1/discharge/orchestrations/{id}?wait=`: a discharge run shaped like the
/// synchronous answer; with `wait`, once it is final or the wait is over.
pub async fn get_orchestration(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Json<Value>> {
    let run = RunId(parse_id(&id, "orchestration")?);
    let wait = wait_param(&state, q.wait.as_deref(), Duration::ZERO)?;
    let view = if wait.is_zero() {
        state.engine.get(&principal.tenant, run).await?
    } else {
        state.engine.wait(&principal.tenant, run, wait).await?
    };
    let view = view
        .filter(|v| v.workflow == WORKFLOW)
        .ok_or(ApiError::NotFound("orchestration"))?;
    Ok(Json(response::orchestration(&view)))
}

/// `GET /v1/cases/{id}`: the case with its patient and what was recognised.
pub async fn get_case(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "case")?;
    let row = state
        .store
        .get_case(&principal.tenant, id)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    Ok(Json(response::case(&row)))
}

/// `GET /v1/discharge/summaries/{id}`.
pub async fn get_summary(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "summary")?;
    let row = state
        .store
        .get_summary(&principal.tenant, id)
        .await?
        .ok_or(ApiError::NotFound("summary"))?;
    Ok(Json(response::summary(&row)))
}

/// `GET /v1/discharge/emails/{id}`: the email with its delivery status and attempts.
pub async fn get_email(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "email")?;
    let row = state
        .store
        .get_email(&principal.tenant, id)
        .await?
        .ok_or(ApiError::NotFound("email"))?;
    Ok(Json(response::email_record(&row)))
}

/// `GET /v1/discharge/calls/{id}`: the call with its placement status and attempts.
pub async fn get_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "call")?;
    let row = state
        .store
        .get_call(&principal.tenant, id)
        .await?
        .ok_or(ApiError::NotFound("call"))?;
    Ok(Json(response::call_record(&row)))
}
