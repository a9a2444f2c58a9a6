//! The discharge API: `POST /v1/discharge/orchestrations` runs the `discharge`
//! workflow (synchronously by default) and answers with what each step did and how
//! long it took; the other routes read the stored case, summary, email and call,
//! and a past orchestration's result, and cancel or resend what is in the outbox.

mod outbox;
pub mod records;
mod request;
pub mod response;

pub use outbox::{__path_cancel_call, __path_cancel_email, __path_resend_email};
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
use crate::engine::{Scheduling, Submission, Submitted};
use crate::store::RunId;
use crate::workflows::discharge::WORKFLOW;
use records::{CallRecord, CaseRecord, EmailRecord, SummaryRecord};
use response::Orchestration;

fn parse_id(raw: &str, what: &'static str) -> ApiResult<Uuid> {
    raw.parse().map_err(|_| ApiError::NotFound(what))
}

/// `POST /v1/discharge/orchestrations?wait=30s`: `{input, steps?, options?,
/// correlationId?}`. `200` with the result when the run ends within the wait (or a
/// dry run's plan), else `202` with `Location`.
#[utoipa::path(post, path = "/v1/discharge/orchestrations", operation_id = "postDischargeOrchestrations", tag = "discharge",
    params(WaitQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "1-255 visible characters; a repeat with the same body (compared as parsed JSON) answers the same run, the same key with another body is refused (422 at `/headers/idempotency-key`).")),
    request_body = super::openapi::discharge::DischargeRequest,
    responses(
        (status = 200, description = "The run ended within the wait: what each step did and made, with timings; or, with `options.dryRun`, the plan.", body = Orchestration),
        (status = 202, description = "The run goes on; poll `Location` or `GET /v1/discharge/orchestrations/{id}`.", body = super::openapi::bodies::Accepted,
            headers(("Location" = String, description = "The run's URL."))),
        (status = 404, description = "`existingCase` names no case of the tenant.", content_type = "application/problem+json", body = super::error::Problem),
        (status = 429, description = "The backlog is past its bound; with `Retry-After`.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
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
    let region = &state.services.phone_region;
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
    // The route read the input with the rest of the request, so the reader's
    // problems and the request's came in one answer: the engine stores it as read.
    let scheduling = Scheduling {
        input_read: true,
        ..Scheduling::default()
    };
    match state
        .engine
        .submit_scheduled(submission, wait, scheduling)
        .await?
    {
        Submitted::DryRun(plan) => Ok(axum::Json(response::dry_run(&plan)).into_response()),
        Submitted::Run {
            run_id,
            created,
            finished,
        } => {
            let finished = finished
                .map(|view| serde_json::to_value(response::orchestration(&view)))
                .transpose()
                .map_err(|e| ApiError::Internal(Box::new(e)))?;
            Ok(submission_response(run_id, created, finished, None))
        }
    }
}

/// `GET /v1/discharge/orchestrations/{id}?wait=`: a discharge run shaped like the
/// synchronous answer; with `wait`, once it is final or the wait is over.
#[utoipa::path(get, path = "/v1/discharge/orchestrations/{id}", operation_id = "getDischargeOrchestrationsId", tag = "discharge",
    params(("id" = String, Path, description = "The run's id (a UUID; any other text, or another workflow's run, is an unknown orchestration)."), WaitQuery),
    responses((status = 200, description = "The discharge run, shaped like the synchronous answer.", body = Orchestration)))]
pub async fn get_orchestration(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Json<Orchestration>> {
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
#[utoipa::path(get, path = "/v1/cases/{id}", operation_id = "getCasesId", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID; any other text is an unknown case).")),
    responses((status = 200, description = "The case with its patient and recognised entities.", body = CaseRecord)))]
pub async fn get_case(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseRecord>> {
    let id = parse_id(&id, "case")?;
    let row = state
        .store
        .get_case(&principal.tenant, id)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    Ok(Json(CaseRecord::from(&row)))
}

/// `GET /v1/discharge/summaries/{id}`.
#[utoipa::path(get, path = "/v1/discharge/summaries/{id}", operation_id = "getDischargeSummariesId", tag = "discharge",
    params(("id" = String, Path, description = "The summary's id (a UUID; any other text is an unknown summary).")),
    responses((status = 200, description = "The summary and which writer produced it.", body = SummaryRecord)))]
pub async fn get_summary(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<SummaryRecord>> {
    let id = parse_id(&id, "summary")?;
    let row = state
        .store
        .get_summary(&principal.tenant, id)
        .await?
        .ok_or(ApiError::NotFound("summary"))?;
    Ok(Json(SummaryRecord::from(&row)))
}

/// `GET /v1/discharge/emails/{id}`: the email with its delivery status and attempts.
#[utoipa::path(get, path = "/v1/discharge/emails/{id}", operation_id = "getDischargeEmailsId", tag = "discharge",
    params(("id" = String, Path, description = "The email's id (a UUID; any other text is an unknown email).")),
    responses((status = 200, description = "The owner email with its delivery status and attempts.", body = EmailRecord)))]
pub async fn get_email(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<EmailRecord>> {
    let id = parse_id(&id, "email")?;
    let row = state
        .store
        .get_email(&principal.tenant, id)
        .await?
        .ok_or(ApiError::NotFound("email"))?;
    Ok(Json(EmailRecord::from(&row)))
}

/// `GET /v1/discharge/calls/{id}`: the call with its placement status and attempts.
#[utoipa::path(get, path = "/v1/discharge/calls/{id}", operation_id = "getDischargeCallsId", tag = "discharge",
    params(("id" = String, Path, description = "The call's id (a UUID; any other text is an unknown call).")),
    responses((status = 200, description = "The follow-up call with its placement status and attempts.", body = CallRecord)))]
pub async fn get_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CallRecord>> {
    let id = parse_id(&id, "call")?;
    let row = state
        .store
        .get_call(&principal.tenant, id)
        .await?
        .ok_or(ApiError::NotFound("call"))?;
    Ok(Json(CallRecord::from(&row)))
}
