//! `POST /v1/schedules/imports` (upload and start an import), `GET
//! /v1/schedules/imports/status` (a hospital's import status) and `GET
//! /v1/schedules/imports/{runId}` (an import's result).
//!
//! A submission claims the hospital's import slot in the store before anything else
//! is written, so a second import while one runs gets `409` on every replica. The
//! file is kept in the store and the run's input names it, so any replica can run it.

use std::time::Duration;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::form::{self, ImportForm};
use super::known_hospital;
use crate::auth::Principal;
use crate::domain::schedule::import_status;
use crate::domain::validation::Problems;
use crate::engine::{RunOptions, Submission, Submitted};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, Query};
use crate::http::runs::{WaitQuery, wait_param};
use crate::store::{ImportClaim, ImportState, NewUpload, RunId, TenantId};
use crate::workflows::schedule_import::result::ImportResult;
use crate::workflows::schedule_import::{ImportInput, WORKFLOW};

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
    let import = Uuid::now_v7();
    let store = state.store.as_ref();
    let now = state.engine.clock().now();
    let claim = import_status::claim(
        store,
        tenant,
        hospital,
        import,
        None,
        now,
        stale_after(&state),
    )
    .await?;
    if let ImportClaim::Busy(holder) = claim {
        return Err(ApiError::Conflict(import_status::busy_detail(&holder)));
    }
    let run_id = match start(&state, &principal, hospital, import, form).await {
        Ok(run) => run,
        Err(e) => {
            // Nothing runs: the slot must not stay taken.
            let now = state.engine.clock().now();
            if let Err(release) = store
                .finish_import(tenant, hospital, import, ImportState::Failed, now)
                .await
            {
                tracing::warn!(error = %release, "could not release the import slot");
            }
            return Err(e);
        }
    };
    let now = state.engine.clock().now();
    store
        .attach_import_run(tenant, hospital, import, run_id, now)
        .await?;
    tracing::info!(run.id = %run_id, import.id = %import, "schedule import submitted");
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

/// Keeps the upload and submits the run; returns the run's id.
async fn start(
    state: &AppState,
    principal: &Principal,
    hospital: Uuid,
    import: Uuid,
    form: ImportForm,
) -> ApiResult<RunId> {
    let upload = NewUpload {
        upload_id: import,
        hospital_id: hospital,
        file_name: form.file_name,
        sha256: hex::encode(Sha256::digest(&form.bytes)),
        content: form.bytes.to_vec(),
        amion_login: form.amion_login,
        uploaded_by: principal.subject.clone(),
        created_at: state.engine.clock().now(),
    };
    state
        .store
        .insert_upload(&principal.tenant, &upload)
        .await?;
    let input = ImportInput {
        upload_id: import,
        hospital_id: hospital,
        period_start: form.period.start,
        period_end: form.period.end,
        version_id: None,
    };
    let submission = Submission {
        tenant: principal.tenant.clone(),
        workflow: WORKFLOW.to_string(),
        input: serde_json::to_value(&input).unwrap_or(Value::Null),
        options: RunOptions::default(),
        idempotency_key: Some(import.to_string()),
        fingerprint: None,
        correlation_id: Some(import.to_string()),
    };
    match state.engine.submit(submission, Duration::ZERO).await? {
        Submitted::Run { run_id, .. } => Ok(run_id),
        Submitted::DryRun(_) => Err(ApiError::Internal(
            "a schedule import was submitted as a dry run".into(),
        )),
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
