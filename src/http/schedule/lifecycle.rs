//! A version's life after its import: `GET /v1/hospitals/{id}/versions` (a hospital's
//! versions, newest first), `POST /v1/schedules/versions/{id}/publish` (draft →
//! published; the version published before for the same period becomes superseded)
//! and `POST /v1/schedules/versions/{id}/assignments/refresh` (the roster and coverage
//! phases again, as a run of `schedule-assignments-refresh`).

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, Query};
use crate::http::runs::{WaitQuery, wait_param};
use crate::store::VersionRow;
use crate::workflows::schedule_import::lifecycle::{self, VersionError};
use crate::workflows::schedule_import::result::ImportResult;

/// Longest page of versions.
const MAX_PAGE: i64 = 100;

/// A version without its shifts, as lists show it.
fn summary(v: &VersionRow) -> Value {
    json!({
        "id": v.version_id,
        "hospitalId": v.hospital_id,
        "status": v.status,
        "dateRange": {"start": v.period_start, "end": v.period_end},
        "shiftCount": v.shift_count,
        "uploadId": v.upload_id,
        "runId": v.run_id,
        "createdBy": v.created_by,
        "createdAt": v.created_at,
        "publishedAt": v.published_at,
        "publishedBy": v.published_by,
        "supersededAt": v.superseded_at,
        "supersededBy": v.superseded_by,
        "assignments": {
            "fetchedAt": v.assignments_fetched_at,
            "count": v.assignments_matched.unwrap_or(0),
            "unmatchedCount": v.assignments_unmatched.unwrap_or(0),
        },
        "location": format!("/v1/schedules/versions/{}", v.version_id),
    })
}

/// Query of `GET /v1/hospitals/{id}/versions`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /v1/hospitals/{id}/versions?limit=&cursor=`: newest first.
pub async fn list_versions(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let hospital: Uuid = id.parse().map_err(|_| ApiError::NotFound("hospital"))?;
    let tenant = &principal.tenant;
    if state.store.get_hospital(tenant, hospital).await?.is_none() {
        return Err(ApiError::NotFound("hospital"));
    }
    let mut problems = Problems::new();
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        problems.push("/query/limit", format!("must be between 1 and {MAX_PAGE}"));
    }
    let before = match q.cursor.as_deref() {
        None => None,
        Some(c) => match c.parse::<Uuid>() {
            Ok(v) => Some(v),
            Err(_) => {
                problems.push("/query/cursor", "is not a cursor this API returned");
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let rows = state
        .store
        .list_versions(tenant, hospital, before, limit)
        .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|v| v.version_id))
        .flatten();
    let versions: Vec<Value> = rows.iter().map(summary).collect();
    Ok(Json(
        json!({"hospitalId": hospital, "versions": versions, "nextCursor": next}),
    ))
}

/// Version id `raw`; any other text is an unknown version (`404`).
fn version_id(raw: &str) -> ApiResult<Uuid> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("schedule version"))
}

/// The answer to a version change a rule refused or that failed.
fn version_error(e: VersionError) -> ApiError {
    match e {
        VersionError::NotFound => ApiError::NotFound("schedule version"),
        VersionError::Conflict(why) => ApiError::Conflict(why),
        VersionError::Engine(e) => e.into(),
        VersionError::Store(e) => e.into(),
        VersionError::Unexpected(what) => ApiError::Internal(what.into()),
    }
}

/// `POST /v1/schedules/versions/{id}/publish`: `200` with the published version and
/// the versions it superseded; `409` when it is not a draft, its import still runs, or
/// a published version of another period shares days with it.
pub async fn publish_version(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = version_id(&id)?;
    let (published, superseded) = lifecycle::publish_version(
        &state.engine,
        &principal.tenant,
        id,
        &principal.subject,
        state.settings.server.request_timeout,
    )
    .await
    .map_err(version_error)?;
    let mut body = summary(&published);
    body["superseded"] = json!(superseded);
    Ok(Json(body))
}

/// `POST /v1/schedules/versions/{id}/assignments/refresh?wait=`: fetches the version's
/// assignments from Amion again and recalculates its coverage, as a run; `202` with
/// its location, or `200` with the result when it ends within `wait` (default `0`).
pub async fn refresh_assignments(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    let wait = wait_param(&state, q.wait.as_deref(), Duration::ZERO)?;
    let tenant = &principal.tenant;
    let id = version_id(&id)?;
    let (v, run_id) = lifecycle::refresh_assignments(
        &state.engine,
        tenant,
        id,
        state.settings.server.request_timeout,
    )
    .await
    .map_err(version_error)?;
    let finished = if wait.is_zero() {
        None
    } else {
        state
            .engine
            .wait(tenant, run_id, wait)
            .await?
            .filter(|r| r.status.is_final())
    };
    if let Some(result) = finished.as_ref().and_then(ImportResult::from_run) {
        return Ok((StatusCode::OK, axum::Json(result)).into_response());
    }
    let location = format!("/v1/runs/{run_id}");
    let body = json!({
        "runId": run_id,
        "versionId": v.version_id,
        "location": location,
        "resultLocation": format!("/v1/schedules/imports/{run_id}"),
    });
    let mut response = (StatusCode::ACCEPTED, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}
