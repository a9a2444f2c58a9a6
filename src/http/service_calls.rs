//! The service-call API: submit a call (recorded, then scheduled as a
//! `service-call` run by `workflows::service_call::submit_call`), read one, list
//! them, cancel one before it runs.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::runs::idempotency_key;
use crate::auth::Principal;
use crate::domain::service_call::{ServiceCall, ServiceCallError, ServiceCallView, ServiceCalls};
use crate::domain::validation::Problems;
use crate::store::{ServiceCallFilter, ServiceCallStatus};
use crate::workflows::service_call::{
    CallRequest, CancelCallError, SubmitCallError, SubmittedCall, cancel_call, submit_call,
};

/// Largest page of service calls.
const MAX_PAGE: i64 = 100;

/// `POST /v1/service-calls`: `{name, request: {method, url, headers, body},
/// dueAt?, correlationId?, tags?}` with an optional `Idempotency-Key`. Answers
/// `201` with the call (a repeat with the same key answers the same call, with
/// `Idempotent-Replayed: true`).
#[utoipa::path(post, path = "/v1/service-calls", operation_id = "postServiceCalls", tag = "service-calls",
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 visible characters; a repeat with the same key answers the same call, the same key with another body is refused (422).")),
    request_body = super::openapi::service_calls::ServiceCallSubmission,
    responses(
        (status = 201, description = "The call, scheduled; a repeat with the same `Idempotency-Key` answers the same call with `Idempotent-Replayed: true`.", body = ServiceCallView,
            headers(("Location" = String, description = "The call's URL."),
                ("Idempotent-Replayed" = String, description = "`true` when an earlier submission with the same key is answered.")),
            // Links let a client (and the fuzzer's stateful phase) follow the new call.
            links(
                ("GetServiceCall" = (operation_id = "getServiceCallsId", parameters(("id" = "$response.body#/serviceCallId")), description = "The call.")),
                ("CancelServiceCall" = (operation_id = "postServiceCallsIdCancel", parameters(("id" = "$response.body#/serviceCallId")), description = "Cancel the call."))
            )),
        (status = 429, description = "The backlog is past its bound; with `Retry-After`.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
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
    let request = CallRequest {
        tenant: &principal.tenant,
        valid: &valid,
        idempotency_key: key,
        request_hash: ServiceCalls::request_hash(&body),
    };
    let SubmittedCall { call, created } = submit_call(&state.engine, calls, request)
        .await
        .map_err(submit_error)?;
    let mut response = (StatusCode::CREATED, axum::Json(call.view())).into_response();
    if let Ok(v) = HeaderValue::from_str(&call.location()) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    if !created {
        response.headers_mut().insert(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

fn submit_error(e: SubmitCallError) -> ApiError {
    match e {
        SubmitCallError::Call(e) => service_call_error(e),
        SubmitCallError::Engine(e) => e.into(),
        SubmitCallError::Store(e) => e.into(),
        SubmitCallError::Gone => ApiError::NotFound("service call"),
        SubmitCallError::Unexpected(what) => ApiError::Internal(what.into()),
    }
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

fn cancel_error(e: CancelCallError) -> ApiError {
    match e {
        CancelCallError::NotFound => ApiError::NotFound("service call"),
        not @ CancelCallError::NotCancellable(_) => ApiError::Conflict(not.to_string()),
        CancelCallError::Store(e) => e.into(),
    }
}

fn parse_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound("service call"))
}

/// `GET /v1/service-calls/{id}`: the call, secret header values redacted.
#[utoipa::path(get, path = "/v1/service-calls/{id}", operation_id = "getServiceCallsId", tag = "service-calls",
    params(("id" = String, Path, description = "The service call's id (a UUID; any other text is an unknown call).")),
    responses((status = 200, description = "The call: status, request (secret header values redacted), times, the server's answer or the failure.", body = ServiceCallView)))]
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
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only calls in this status.
    #[param(value_type = Option<ServiceCallStatus>)]
    status: Option<String>,
    /// Only calls with this tag.
    #[param(min_length = 1, max_length = 64)]
    tag: Option<String>,
    /// Only calls due before this time (RFC 3339).
    #[param(format = DateTime)]
    due_before: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

/// `GET /v1/service-calls`: a page of calls, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCallPage {
    /// The calls.
    pub service_calls: Vec<ServiceCallView>,
    /// `cursor` of the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// `GET /v1/service-calls?status=&tag=&dueBefore=&limit=&cursor=`: newest first.
#[utoipa::path(get, path = "/v1/service-calls", operation_id = "getServiceCalls", tag = "service-calls",
    params(ListQuery),
    responses((status = 200, description = "A page of the tenant's calls, newest first.", body = ServiceCallPage)))]
pub async fn list_service_calls(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<ServiceCallPage>> {
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
    Ok(Json(ServiceCallPage {
        service_calls: views,
        next_cursor: next,
    }))
}

/// `POST /v1/service-calls/{id}/cancel`: only before the call runs (`409`
/// after); cancelling a cancelled call answers it again.
#[utoipa::path(post, path = "/v1/service-calls/{id}/cancel", operation_id = "postServiceCallsIdCancel", tag = "service-calls",
    params(("id" = String, Path, description = "The service call's id (a UUID; any other text is an unknown call).")),
    responses(
        (status = 200, description = "The cancelled call (also when it was cancelled before); its run is cancelled too. A run cancelled through `/v1/runs` cancels its call.", body = ServiceCallView),
        (status = 409, description = "The call is running or final.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn cancel_service_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceCallView>> {
    let id = parse_id(&id)?;
    let call = cancel_call(
        &state.engine,
        &state.services.service_calls,
        &principal.tenant,
        id,
    )
    .await
    .map_err(cancel_error)?;
    Ok(Json(call.view()))
}
