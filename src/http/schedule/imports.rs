//! `POST /v1/schedules/imports` (upload and start an import), `GET
//! /v1/schedules/imports/status` (a hospital's import status) and `GET
//! /v1/schedules/imports/{runId}` (an import's result).
//!
//! Starting an import (one per hospital at a time: a second while one runs gets
//! `409` on every replica) is `workflows::schedule_import::start_import`.

use std::time::Duration;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::form;
use super::known_hospital;
use crate::auth::Principal;
use crate::domain::schedule::import_status;
use crate::domain::validation::Problems;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, Query};
use crate::http::runs::{WaitQuery, wait_param};
use crate::store::{ImportState, RunId, TenantId};
use crate::workflows::schedule_import::result::ImportResult;
use crate::workflows::schedule_import::{NewImport, StartImportError, StartedImport, start_import};

/// How long a claim may go without a run before it is considered abandoned: no
/// submitting request lives longer than the request timeout.
fn stale_after(state: &AppState) -> Duration {
    state.settings.server.request_timeout
}

/// `202 Accepted` of `POST /v1/schedules/imports`: the import goes on.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportAccepted {
    /// The import's run.
    pub run_id: RunId,
    /// The import (its upload's id).
    pub import_id: Uuid,
    /// The hospital.
    pub hospital_id: Uuid,
    /// `in_progress`.
    pub status: ImportState,
    /// The run's URL.
    pub location: String,
    /// Where the import's result is read (`GET /v1/schedules/imports/{id}`).
    pub result_location: String,
}

/// `GET /v1/schedules/imports/status`: where a hospital's last import stands.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportStatus {
    /// The hospital.
    pub hospital_id: Uuid,
    /// `idle` when no import was ever started.
    pub status: ImportState,
    /// The last import; `null` when idle.
    pub import_id: Option<Uuid>,
    /// Its run; `null` when idle or not submitted yet.
    pub run_id: Option<RunId>,
    /// When it was started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub completed_at: Option<DateTime<Utc>>,
}

/// `POST /v1/schedules/imports?wait=`: `202` with the run's location, or `200` with
/// the result when the import ends within `wait` (default `0`).
#[utoipa::path(post, path = "/v1/schedules/imports", operation_id = "postSchedulesImports", tag = "schedules",
    params(WaitQuery),
    request_body(content = crate::http::openapi::schedules::ImportForm, content_type = "multipart/form-data",
        description = "The `.ods` schedule and its hospital, as `multipart/form-data` (the only media type read)."),
    responses(
        (status = 200, description = "The import ended within the wait: its result.", body = ImportResult),
        (status = 202, description = "The import goes on; poll `Location` or `resultLocation`.", body = ImportAccepted,
            headers(("Location" = String, description = "The run's URL."))),
        (status = 409, description = "An import of this hospital is already in progress.", content_type = "application/problem+json", body = crate::http::error::Problem),
        (status = 413, description = "The upload is larger than `server.upload_limit_bytes`.", content_type = "application/problem+json", body = crate::http::error::Problem),
        (status = 429, description = "The backlog is past its bound; with `Retry-After`.", content_type = "application/problem+json", body = crate::http::error::Problem),
    ))]
pub async fn submit_import(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<WaitQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let wait = wait_param(&state, q.wait.as_deref(), Duration::ZERO)?;
    let multipart = multipart.map_err(|_| {
        ApiError::UnsupportedMediaType(
            "Send the import as multipart/form-data with a `file` part and a `hospitalId` field."
                .into(),
        )
    })?;
    let raw = form::read(multipart).await?;
    let hospital_raw = raw.hospital_id.clone();
    let (form, mut problems) = raw.validate(state.settings.schedules.max_cells);
    let tenant = &principal.tenant;
    let hospital = known_hospital(
        &state,
        tenant,
        hospital_raw.as_deref(),
        "/hospitalId",
        &mut problems,
    )
    .await?;
    let (Some(form), Some(hospital)) = (form, hospital) else {
        return Err(ApiError::Validation(problems));
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let new_import = NewImport {
        hospital_id: hospital,
        file_name: form.file_name,
        bytes: form.bytes.to_vec(),
        period: form.period,
        amion_login: form.amion_login,
        uploaded_by: principal.subject.clone(),
    };
    let StartedImport {
        import_id: import,
        run_id,
    } = start_import(&state.engine, tenant, new_import, stale_after(&state))
        .await
        .map_err(start_error)?;
    let finished = if wait.is_zero() {
        None
    } else {
        state
            .engine
            .wait(tenant, run_id, wait)
            .await?
            .filter(|v| v.status.is_final())
    };
    if let Some(result) = finished.as_ref().and_then(ImportResult::from_run) {
        return Ok((StatusCode::OK, axum::Json(result)).into_response());
    }
    let location = format!("/v1/runs/{run_id}");
    let body = ImportAccepted {
        run_id,
        import_id: import,
        hospital_id: hospital,
        status: ImportState::InProgress,
        location: location.clone(),
        result_location: format!("/v1/schedules/imports/{run_id}"),
    };
    let mut response = (StatusCode::ACCEPTED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

fn start_error(e: StartImportError) -> ApiError {
    match e {
        StartImportError::Busy(detail) => ApiError::Conflict(detail),
        StartImportError::Engine(e) => e.into(),
        StartImportError::Store(e) => e.into(),
        StartImportError::Unexpected(what) => ApiError::Internal(what.into()),
    }
}

/// Query of `GET /v1/schedules/imports/status`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// The hospital (a missing, malformed or unknown one is a 422).
    #[serde(rename = "hospitalId")]
    #[param(rename = "hospitalId", required = true, value_type = Uuid)]
    hospital_id: Option<String>,
}

/// `GET /v1/schedules/imports/status?hospitalId=`: `idle`, `in_progress`, `completed`,
/// `failed` or `cancelled`, with the last import's ids and times.
#[utoipa::path(get, path = "/v1/schedules/imports/status", operation_id = "getSchedulesImportsStatus", tag = "schedules",
    params(StatusQuery),
    responses((status = 200, description = "Where the hospital's last import stands.", body = ImportStatus)))]
pub async fn import_status(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<StatusQuery>,
) -> ApiResult<Json<ImportStatus>> {
    let tenant: &TenantId = &principal.tenant;
    let mut problems = Problems::new();
    let hospital = known_hospital(
        &state,
        tenant,
        q.hospital_id.as_deref(),
        "/query/hospitalId",
        &mut problems,
    )
    .await?;
    let Some(hospital) = hospital else {
        return Err(ApiError::Validation(problems));
    };
    let now = state.engine.clock().now();
    let row = import_status::current(
        state.store.as_ref(),
        tenant,
        hospital,
        now,
        stale_after(&state),
    )
    .await?;
    Ok(Json(match row {
        None => ImportStatus {
            hospital_id: hospital,
            status: ImportState::Idle,
            import_id: None,
            run_id: None,
            started_at: None,
            completed_at: None,
        },
        Some(r) => ImportStatus {
            hospital_id: hospital,
            status: r.status,
            import_id: Some(r.import_id),
            run_id: r.run_id,
            started_at: Some(r.started_at),
            completed_at: r.completed_at,
        },
    }))
}

/// `GET /v1/schedules/imports/{runId}?wait=`: an import's result; with `wait`, once
/// the import has ended or the wait is over.
#[utoipa::path(get, path = "/v1/schedules/imports/{id}", operation_id = "getSchedulesImportsId", tag = "schedules",
    params(("id" = String, Path, description = "The import's run id (`runId`; any other text is an unknown import)."), WaitQuery),
    responses((status = 200, description = "The import's result; `status` is not final while it runs.", body = ImportResult)))]
pub async fn get_import(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Json<ImportResult>> {
    let run: RunId = id.parse().map_err(|_| ApiError::NotFound("import"))?;
    let wait = wait_param(&state, q.wait.as_deref(), Duration::ZERO)?;
    let view = if wait.is_zero() {
        state.engine.get(&principal.tenant, run).await?
    } else {
        state.engine.wait(&principal.tenant, run, wait).await?
    };
    view.as_ref()
        .and_then(ImportResult::from_run)
        .map(Json)
        .ok_or(ApiError::NotFound("import"))
}
