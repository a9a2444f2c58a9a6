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
use serde::Deserialize;
use serde_json::{Value, json};

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

/// `POST /v1/schedules/imports?wait=`: `202` with the run's location, or `200` with
/// the result when the import ends within `wait` (default `0`).
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
    let body = json!({
        "runId": run_id,
        "importId": import,
        "hospitalId": hospital,
        "status": ImportState::InProgress,
        "location": location,
        "resultLocation": format!("/v1/schedules/imports/{run_id}"),
    });
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
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    #[serde(rename = "hospitalId")]
    hospital_id: Option<String>,
}

/// `GET /v1/schedules/imports/status?hospitalId=`: `idle`, `in_progress`, `completed`,
/// `failed` or `cancelled`, with the last import's ids and times.
pub async fn import_status(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<StatusQuery>,
) -> ApiResult<Json<Value>> {
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
        None => json!({
            "hospitalId": hospital,
            "status": ImportState::Idle,
            "importId": null,
            "runId": null,
            "startedAt": null,
            "completedAt": null,
        }),
        Some(r) => json!({
            "hospitalId": hospital,
            "status": r.status,
            "importId": r.import_id,
            "runId": r.run_id,
            "startedAt": r.started_at,
            "completedAt": r.completed_at,
        }),
    }))
}

/// `GET /v1/schedules/imports/{runId}?wait=`: an import's result; with `wait`, once
/// the import has ended or the wait is over.
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
