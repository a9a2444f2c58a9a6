//! A version's life after its import: `GET /v1/hospitals/{id}/versions` (a hospital's
//! versions, newest first), `POST /v1/schedules/versions/{id}/publish` (draft →
//! published; the version published before for the same period becomes superseded)
//! and `POST /v1/schedules/versions/{id}/assignments/refresh` (the roster and coverage
//! phases again, as a run of `schedule-assignments-refresh`).

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Principal;
use crate::domain::schedule::version_view::{AssignmentSummary, DateRange};
use crate::domain::validation::Problems;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, Query};
use crate::http::runs::{WaitQuery, wait_param};
use crate::store::{RunId, VersionRow};
use crate::workflows::schedule_import::lifecycle::{self, VersionError};
use crate::workflows::schedule_import::result::ImportResult;

/// Longest page of versions.
const MAX_PAGE: i64 = 100;

/// A version without its shifts, as lists show it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ScheduleVersionSummary)]
pub struct VersionSummary {
    /// Id.
    pub id: Uuid,
    /// The hospital.
    pub hospital_id: Uuid,
    /// `draft`, `published` or `superseded`.
    #[schema(value_type = crate::http::openapi::schedules::VersionStatus)]
    pub status: String,
    /// Days covered.
    pub date_range: DateRange,
    /// Number of shift instances.
    pub shift_count: i32,
    /// The upload it was read from.
    pub upload_id: Uuid,
    /// The import's run.
    pub run_id: Option<RunId>,
    /// Who imported it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Who published it.
    pub published_by: Option<String>,
    /// When a later publication replaced it.
    pub superseded_at: Option<DateTime<Utc>>,
    /// The version that replaced it.
    pub superseded_by: Option<Uuid>,
    /// The roster phase's result.
    pub assignments: AssignmentSummary,
    /// The version's URL, with its shifts.
    pub location: String,
}

impl From<&VersionRow> for VersionSummary {
    fn from(v: &VersionRow) -> Self {
        Self {
            id: v.version_id,
            hospital_id: v.hospital_id,
            status: v.status.clone(),
            date_range: DateRange {
                start: v.period_start,
                end: v.period_end,
            },
            shift_count: v.shift_count,
            upload_id: v.upload_id,
            run_id: v.run_id,
            created_by: v.created_by.clone(),
            created_at: v.created_at,
            published_at: v.published_at,
            published_by: v.published_by.clone(),
            superseded_at: v.superseded_at,
            superseded_by: v.superseded_by,
            assignments: AssignmentSummary {
                fetched_at: v.assignments_fetched_at,
                count: v.assignments_matched.unwrap_or(0),
                unmatched_count: v.assignments_unmatched.unwrap_or(0),
            },
            location: format!("/v1/schedules/versions/{}", v.version_id),
        }
    }
}

/// `GET /v1/hospitals/{id}/versions`: a page of a hospital's versions.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ScheduleVersionList)]
pub struct VersionList {
    /// The hospital.
    pub hospital_id: Uuid,
    /// Newest first.
    pub versions: Vec<VersionSummary>,
    /// `cursor` of the next page; `null` on the last one.
    pub next_cursor: Option<Uuid>,
}

/// `POST /v1/schedules/versions/{id}/publish`: the published version.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishedVersion {
    /// The version, now `published`.
    #[serde(flatten)]
    pub version: VersionSummary,
    /// The versions published before for the same period, now `superseded`.
    pub superseded: Vec<Uuid>,
}

/// `202 Accepted` of `POST /v1/schedules/versions/{id}/assignments/refresh`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshAccepted {
    /// The refresh's run.
    pub run_id: RunId,
    /// The version.
    pub version_id: Uuid,
    /// The run's URL.
    pub location: String,
    /// Where its result is read (`GET /v1/schedules/imports/{id}`).
    pub result_location: String,
}

/// Query of `GET /v1/hospitals/{id}/versions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

/// `GET /v1/hospitals/{id}/versions?limit=&cursor=`: newest first.
#[utoipa::path(get, path = "/v1/hospitals/{id}/versions", operation_id = "getHospitalsIdVersions", tag = "hospitals",
    params(("id" = String, Path, description = "The hospital's id (a UUID; any other text is an unknown hospital)."), ListQuery),
    responses((status = 200, description = "A page of the hospital's schedule versions, newest first.", body = VersionList)))]
pub async fn list_versions(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<VersionList>> {
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
    Ok(Json(VersionList {
        hospital_id: hospital,
        versions: rows.iter().map(VersionSummary::from).collect(),
        next_cursor: next,
    }))
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
#[utoipa::path(post, path = "/v1/schedules/versions/{id}/publish", operation_id = "postSchedulesVersionsIdPublish", tag = "schedules",
    params(("id" = String, Path, description = "The version's id (a UUID; any other text is an unknown version).")),
    responses(
        (status = 200, description = "The published version and the versions it superseded.", body = PublishedVersion),
        (status = 409, description = "The version is not a draft, its import still runs, or a published version of another period shares days with it.", content_type = "application/problem+json", body = crate::http::error::Problem),
    ))]
pub async fn publish_version(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<PublishedVersion>> {
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
    Ok(Json(PublishedVersion {
        version: VersionSummary::from(&published),
        superseded,
    }))
}

/// `POST /v1/schedules/versions/{id}/assignments/refresh?wait=`: fetches the version's
/// assignments from Amion again and recalculates its coverage, as a run; `202` with
/// its location, or `200` with the result when it ends within `wait` (default `0`).
#[utoipa::path(post, path = "/v1/schedules/versions/{id}/assignments/refresh", operation_id = "postSchedulesVersionsIdAssignmentsRefresh", tag = "schedules",
    params(("id" = String, Path, description = "The version's id (a UUID; any other text is an unknown version)."), WaitQuery),
    responses(
        (status = 200, description = "The refresh ended within the wait: its result, shaped like an import's (`scheduleVersion` names only the version).", body = ImportResult),
        (status = 202, description = "The refresh goes on; poll `Location` or `resultLocation`.", body = RefreshAccepted,
            headers(("Location" = String, description = "The run's URL."))),
        (status = 409, description = "The import that creates the version still runs.", content_type = "application/problem+json", body = crate::http::error::Problem),
        (status = 429, description = "The backlog is past its bound; with `Retry-After`.", content_type = "application/problem+json", body = crate::http::error::Problem),
    ))]
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
    let body = RefreshAccepted {
        run_id,
        version_id: v.version_id,
        location: location.clone(),
        result_location: format!("/v1/schedules/imports/{run_id}"),
    };
    let mut response = (StatusCode::ACCEPTED, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}
