//! The service-call API: submit a call (recorded, then scheduled as a
//! `service-call` run), read one, list them, cancel one before it runs.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::runs::idempotency_key;
use crate::auth::Principal;
use crate::domain::service_call::{
    ServiceCall, ServiceCallError, ServiceCallView, ServiceCalls, Transition, WORKFLOW,
};
use crate::domain::validation::Problems;
use crate::engine::{CallSubmitted, EngineError, RunOptions, Scheduling, Submission, Submitted};
use crate::store::{InsertServiceCall, RunId, ServiceCallFilter, ServiceCallStatus};

/// Largest page of service calls.
const MAX_PAGE: i64 = 100;

/// `POST /v1/service-calls`: `{name, request: {method, url, headers, body},
/// dueAt?, correlationId?, tags?}` with an optional `Idempotency-Key`. Answers
/// `201` with the call (a repeat with the same key answers the same call, with
/// `Idempotent-Replayed: true`).
pub async fn submit(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let calls = &state.services.service_calls;
    let key = idempotency_key(&headers)?;
    let now = state.engine.clock().now();
    let valid = calls.validate(&body, now).map_err(ApiError::Validation)?;
    let prepared = calls
        .prepare(
            &principal.tenant,
            &valid,
            key.clone(),
            ServiceCalls::request_hash(&body),
            now,
        )
        .map_err(service_call_error)?;
    let id = prepared.call.service_call_id;
    let run = Submission {
        tenant: principal.tenant.clone(),
        workflow: WORKFLOW.into(),
        input: json!({"serviceCallId": id}),
        options: RunOptions::default(),
        idempotency_key: Some(run_key(id)),
        fingerprint: None,
        correlation_id: prepared.event.correlation_id.clone(),
    };
    let new_call = prepared.call.clone();
    // The call and its run are written together: a submission the queue refuses
    // (429) records nothing.
    let (outcome, run_id) = match state
        .engine
        .submit_service_call(run, Scheduling::default(), prepared)
        .await?
    {
        CallSubmitted::Created(run_id) => {
            let row = state
                .store
                .get_service_call(&principal.tenant, id)
                .await?
                .ok_or(ApiError::NotFound("service call"))?;
            (InsertServiceCall::Created(Box::new(row)), Some(run_id))
        }
        CallSubmitted::Exists(row) => (InsertServiceCall::Duplicate(row), None),
    };
    let submission = calls
        .recorded(&new_call, outcome)
        .map_err(service_call_error)?;
    let mut call = submission.call;
    if let Some(run_id) = run_id {
        call = mark_scheduled(&state, call, run_id).await?;
    } else if call.status == ServiceCallStatus::Submitted && call.run_id.is_none() {
        // Recorded, without its run, by an earlier version that wrote the two apart.
        call = schedule(&state, call, key.is_some()).await?;
    }
    let mut response = (StatusCode::CREATED, axum::Json(call.view())).into_response();
    if let Ok(v) = HeaderValue::from_str(&call.location()) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    if !submission.created {
        response.headers_mut().insert(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// Submits the call's run (its idempotency key derives from the call, so a
/// repeat finds the same run) and marks the call `Scheduled` with it. When the
/// run cannot be submitted, a call that a repeat with the same key could resume
/// stays `Submitted`; any other is recorded `Failed` so that none lingers.
async fn schedule(state: &AppState, call: ServiceCall, resumable: bool) -> ApiResult<ServiceCall> {
    let calls = &state.services.service_calls;
    let submission = Submission {
        tenant: call.tenant.clone(),
        workflow: WORKFLOW.into(),
        input: json!({"serviceCallId": call.id}),
        options: RunOptions::default(),
        idempotency_key: Some(run_key(call.id)),
        fingerprint: None,
        correlation_id: Some(call.correlation()),
    };
    let run_id = match state.engine.submit(submission, Duration::ZERO).await {
        Ok(Submitted::Run { run_id, .. }) => run_id,
        Ok(Submitted::DryRun(_)) => {
            return Err(ApiError::Internal(
                "a service-call run was planned as a dry run".into(),
            ));
        }
        Err(e) => {
            tracing::warn!(service_call.id = %call.id, error = %e, resumable, "could not submit the service call's run");
            if !resumable {
                let reason = format!("the call could not be scheduled: {e}");
                let now = state.engine.clock().now();
                if let Err(store) = calls.abandon(&call, &reason, now).await {
                    tracing::warn!(service_call.id = %call.id, error = %store, "could not record the unscheduled call as failed");
                }
            }
            return Err(e.into());
        }
    };
    mark_scheduled(state, call, run_id).await
}

/// `Submitted → Scheduled` with the run that performs the call (the run's first
/// step does the same, should this replica die first).
async fn mark_scheduled(
    state: &AppState,
    call: ServiceCall,
    run_id: RunId,
) -> ApiResult<ServiceCall> {
    let now = state.engine.clock().now();
    match state
        .services
        .service_calls
        .schedule(&call, run_id, now)
        .await?
    {
        Transition::Applied(c) | Transition::Unchanged(Some(c)) => Ok(c),
        Transition::Unchanged(None) => Err(ApiError::NotFound("service call")),
    }
}

/// The idempotency key of a call's run: derived from the call, so a repeat finds
/// the same run.
fn run_key(call: Uuid) -> String {
    format!("service-call:{call}")
}

fn service_call_error(e: ServiceCallError) -> ApiError {
    match e {
        ServiceCallError::KeyReused => {
            let mut p = Problems::new();
            p.push(
                "/headers/idempotency-key",
                "was already used for a different request",
            );
            ApiError::Validation(p)
        }
        ServiceCallError::Store(s) => s.into(),
        other => ApiError::Internal(Box::new(other)),
    }
}

fn parse_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound("service call"))
}

/// `GET /v1/service-calls/{id}`: the call, secret header values redacted.
pub async fn get_service_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceCallView>> {
    let id = parse_id(&id)?;
    state
        .services
        .service_calls
        .get(&principal.tenant, id)
        .await?
        .map(|c| Json(c.view()))
        .ok_or(ApiError::NotFound("service call"))
}

/// Query of `GET /v1/service-calls`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    status: Option<String>,
    tag: Option<String>,
    due_before: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /v1/service-calls?status=&tag=&dueBefore=&limit=&cursor=`: newest first.
pub async fn list_service_calls(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let mut problems = Problems::new();
    let status = q.status.as_deref().and_then(|s| match s.parse() {
        Ok(s) => Some(s),
        Err(_) => {
            problems.push(
                "/query/status",
                "must be one of submitted, scheduled, running, succeeded, failed, cancelled",
            );
            None
        }
    });
    let due_before = q
        .due_before
        .as_deref()
        .and_then(|d| match DateTime::parse_from_rfc3339(d) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                problems.push(
                    "/query/dueBefore",
                    "must be an RFC 3339 date-time such as 2030-01-31T09:00:00Z",
                );
                None
            }
        });
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        problems.push("/query/limit", format!("must be between 1 and {MAX_PAGE}"));
    }
    let before = q.cursor.as_deref().and_then(|c| match Uuid::parse_str(c) {
        Ok(id) => Some(id),
        Err(_) => {
            problems.push("/query/cursor", "is not a cursor this API returned");
            None
        }
    });
    if q.tag.as_ref().is_some_and(|t| t.is_empty() || t.len() > 64) {
        problems.push("/query/tag", "must be 1-64 characters");
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let filter = ServiceCallFilter {
        status,
        tag: q.tag,
        due_before,
        before,
        limit,
    };
    let calls = state
        .services
        .service_calls
        .list(&principal.tenant, &filter)
        .await?;
    let next = (calls.len() as i64 == limit)
        .then(|| calls.last().map(|c| c.id.to_string()))
        .flatten();
    let views: Vec<ServiceCallView> = calls.iter().map(ServiceCall::view).collect();
    Ok(Json(json!({"serviceCalls": views, "nextCursor": next})))
}

/// `POST /v1/service-calls/{id}/cancel`: only before the call runs (`409`
/// after); cancelling a cancelled call answers it again.
pub async fn cancel_service_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceCallView>> {
    let id = parse_id(&id)?;
    let calls = &state.services.service_calls;
    let call = calls
        .get(&principal.tenant, id)
        .await?
        .ok_or(ApiError::NotFound("service call"))?;
    let now = state.engine.clock().now();
    let call = match calls.cancel(&call, now).await? {
        Transition::Applied(c) => c,
        Transition::Unchanged(Some(c)) if c.status == ServiceCallStatus::Cancelled => c,
        Transition::Unchanged(Some(c)) => {
            return Err(ApiError::Conflict(format!(
                "the service call is {}; only submitted or scheduled calls can be cancelled",
                c.status
            )));
        }
        Transition::Unchanged(None) => return Err(ApiError::NotFound("service call")),
    };
    if let Some(run) = call.run_id {
        // The call is already Cancelled: should the run get to it, it sends nothing.
        match state.engine.cancel(&principal.tenant, run).await {
            Ok(_) | Err(EngineError::InvalidState(_) | EngineError::NotFound) => {}
            Err(e) => {
                tracing::warn!(service_call.id = %call.id, run.id = %run, error = %e, "could not cancel the service call's run");
            }
        }
    }
    Ok(Json(call.view()))
}
