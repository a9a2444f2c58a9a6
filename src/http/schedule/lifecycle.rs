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
use crate::engine::{RunOptions, Submission, Submitted};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, Query};
use crate::http::runs::{WaitQuery, wait_param};
use crate::store::{ImportState, Published, TenantId, VersionRow};
use crate::workflows::schedule_import::result::ImportResult;
use crate::workflows::schedule_import::{ImportInput, REFRESH_WORKFLOW};

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

/// The tenant's version `raw`, or `404`.
async fn version(state: &AppState, tenant: &TenantId, raw: &str) -> ApiResult<VersionRow> {
    let id: Uuid = raw
        .parse()
        .map_err(|_| ApiError::NotFound("schedule version"))?;
    state
        .store
        .get_version(tenant, id)
        .await?
        .ok_or(ApiError::NotFound("schedule version"))
}

/// `409` while the import that creates `v` still runs (its assignments and coverage
/// are not in yet).
async fn import_finished(state: &AppState, tenant: &TenantId, v: &VersionRow) -> ApiResult<()> {
    let status = crate::domain::schedule::import_status::current(
        state.store.as_ref(),
        tenant,
        v.hospital_id,
        state.engine.clock().now(),
        state.settings.server.request_timeout,
    )
    .await?;
    match status {
        Some(s) if s.status == ImportState::InProgress && s.import_id == v.upload_id => {
            Err(ApiError::Conflict(
                "The import of this version is still in progress; wait for it to finish.".into(),
            ))
        }
        _ => Ok(()),
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
    let tenant = &principal.tenant;
    let v = version(&state, tenant, &id).await?;
    import_finished(&state, tenant, &v).await?;
    let now = state.engine.clock().now();
    let outcome = state
        .store
        .publish_version(tenant, v.version_id, &principal.subject, now)
        .await;
    let superseded = match outcome {
        Ok(Published::Published { superseded }) => superseded,
        Ok(Published::NotFound) => return Err(ApiError::NotFound("schedule version")),
        Ok(Published::NotDraft(status)) => {
            return Err(ApiError::Conflict(format!(
                "Only a draft can be published; this version is {status}."
            )));
        }
        Ok(Published::Overlaps(other)) => {
            return Err(ApiError::Conflict(format!(
                "Published version {other} of this hospital covers some of the same days over another period; one published version per hospital and period."
            )));
        }
        // Another version of the same period was published at the same moment.
        Err(crate::store::StoreError::Conflict(_)) => {
            return Err(ApiError::Conflict(
                "Another version of this period was published at the same time; read the hospital's versions and try again.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(version.id = %v.version_id, superseded = superseded.len(), "schedule version published");
    let published = version(&state, tenant, &id).await?;
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
    let v = version(&state, tenant, &id).await?;
    import_finished(&state, tenant, &v).await?;
    let input = ImportInput {
        upload_id: v.upload_id,
        hospital_id: v.hospital_id,
        period_start: None,
        period_end: None,
        version_id: Some(v.version_id),
    };
    let submission = Submission {
        tenant: tenant.clone(),
        workflow: REFRESH_WORKFLOW.to_string(),
        input: serde_json::to_value(&input).unwrap_or(Value::Null),
        options: RunOptions::default(),
        idempotency_key: None,
        correlation_id: Some(v.upload_id.to_string()),
        fingerprint: None,
    };
    let Submitted::Run { run_id, .. } = state.engine.submit(submission, Duration::ZERO).await?
    else {
        return Err(ApiError::Internal(
            "an assignment refresh became a dry run".into(),
        ));
    };
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
