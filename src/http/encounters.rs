//! The encounter workflow's API: submit an encounter by reference (for FHIR servers
//! that push), read an encounter's processing state, download its form (the current
//! one, or one a newer version of the encounter superseded).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::encounter_view::EncounterState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::runs::{submission_response, wait_param};
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::engine::{RunOptions, Submission, Submitted};
use crate::store::EncounterRunRow;
use crate::workflows::encounter::{EncounterInput, Source, WORKFLOW, is_fhir_id, run_event};

/// Query of `POST /v1/encounters`.
#[derive(Debug, Deserialize)]
pub struct SubmitQuery {
    wait: Option<String>,
}

/// Picks the source a submission names (by `source`, by `fhirBaseUrl`, or the
/// tenant's only one), recording every problem.
fn pick_source(
    state: &AppState,
    principal: &Principal,
    body: &Value,
    problems: &mut Problems,
) -> Option<Arc<Source>> {
    let sources = &state.services.encounter_sources;
    let tenant = &principal.tenant;
    let text = |key: &str, problems: &mut Problems| match body.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(_) => {
            problems.push(format!("/{key}"), "must be a non-empty string");
            None
        }
    };
    let by_name = text("source", problems).and_then(|name| {
        let found = sources.for_tenant(&name, tenant).cloned();
        if found.is_none() {
            problems.push("/source", "is not a configured FHIR source of this tenant");
        }
        found
    });
    let by_url = text("fhirBaseUrl", problems).and_then(|url| {
        let matching: Vec<Arc<Source>> = sources.of_tenant_at(tenant, &url).cloned().collect();
        let wanted = by_name.as_ref();
        let found = match wanted {
            Some(named) => matching.into_iter().find(|s| s.name == named.name),
            None if matching.len() == 1 => matching.into_iter().next(),
            None if matching.is_empty() => None,
            None => {
                problems.push(
                    "/source",
                    "is required: several configured sources share this fhirBaseUrl",
                );
                return None;
            }
        };
        if found.is_none() {
            let message = if wanted.is_some() {
                "must be the base URL of the named source"
            } else {
                "is not the base URL of a configured FHIR source of this tenant"
            };
            problems.push("/fhirBaseUrl", message);
        }
        found
    });
    if let Some(source) = by_name.or(by_url) {
        return Some(source);
    }
    let named = body.get("source").is_some_and(|v| !v.is_null())
        || body.get("fhirBaseUrl").is_some_and(|v| !v.is_null());
    if named {
        return None;
    }
    let mut own = sources.of_tenant(tenant);
    match (own.next(), own.next()) {
        (Some(only), None) => Some(only.clone()),
        (None, _) => {
            problems.push("/source", "no FHIR source is configured for this tenant");
            None
        }
        (Some(_), Some(_)) => {
            problems.push(
                "/source",
                "is required: several FHIR sources are configured for this tenant",
            );
            None
        }
    }
}

/// `POST /v1/encounters?wait=`: `{source?, encounterId, fhirBaseUrl?}`.
#[utoipa::path(post, path = "/v1/encounters", operation_id = "postEncounters", tag = "encounters",
    params(("wait" = Option<String>, Query, example = "30s", description = "How long to wait for the result (`0`, `500ms`, `30s`, ...), default 0, capped just under the request timeout.")),
    request_body = super::openapi::encounters::EncounterSubmission,
    responses(
        (status = 200, description = "The run ended within the wait.", body = crate::engine::RunView),
        (status = 202, description = "The run goes on (or an earlier run has this encounter version); poll `Location` or `GET /v1/encounters/{id}`.", body = super::openapi::bodies::Accepted,
            headers(("Location" = String, description = "The run's URL."))),
        (status = 429, description = "The backlog is past its bound; with `Retry-After`.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<SubmitQuery>,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let wait = wait_param(&state, q.wait.as_deref(), Duration::ZERO)?;
    let mut problems = Problems::new();
    if !body.is_object() {
        problems.push("", "must be a JSON object");
        return Err(ApiError::Validation(problems));
    }
    if let Some(map) = body.as_object() {
        for key in map.keys() {
            if !matches!(
                key.as_str(),
                "source" | "encounterId" | "fhirBaseUrl" | "versionId"
            ) {
                problems.push(
                    format!("/{}", crate::engine::escape_pointer(key)),
                    "is not a known member",
                );
            }
        }
    }
    let encounter_id = match body.get("encounterId") {
        Some(Value::String(id)) if is_fhir_id(id) => Some(id.clone()),
        Some(Value::String(_)) => {
            problems.push(
                "/encounterId",
                "must be a FHIR id: 1-64 letters, digits, '-' or '.'",
            );
            None
        }
        None | Some(Value::Null) => {
            problems.push("/encounterId", "is required");
            None
        }
        Some(_) => {
            problems.push("/encounterId", "must be a string");
            None
        }
    };
    let given_version = match body.get("versionId") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) if !v.trim().is_empty() && v.len() <= 128 => {
            Some(v.trim().to_owned())
        }
        Some(_) => {
            problems.push("/versionId", "must be a string of 1-128 characters");
            None
        }
    };
    let source = pick_source(&state, &principal, &body, &mut problems);
    let (Some(encounter_id), Some(source)) = (encounter_id, source) else {
        return Err(ApiError::Validation(problems));
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let version = match given_version {
        Some(v) => Some(v),
        None => current_version(&state, &source, &encounter_id).await,
    };
    let input = EncounterInput {
        source: source.name.clone(),
        encounter_id,
        version,
    };
    let submission = Submission {
        tenant: principal.tenant.clone(),
        workflow: WORKFLOW.to_string(),
        input: input.to_value(),
        options: RunOptions::default(),
        idempotency_key: Some(input.idempotency_key()),
        fingerprint: None,
        correlation_id: Some(input.correlation_id()),
    };
    // Submitted without waiting, so the encounter is recorded (and readable at
    // `GET /v1/encounters/{id}`) while the caller waits for the result.
    let Submitted::Run {
        run_id, created, ..
    } = state.engine.submit(submission, Duration::ZERO).await?
    else {
        return Err(ApiError::Internal(
            "an encounter submission became a dry run".into(),
        ));
    };
    let now = state.engine.clock().now();
    state
        .store
        .record_encounter_run(&EncounterRunRow {
            tenant_id: principal.tenant.clone(),
            encounter_id: input.encounter_id.clone(),
            source: input.source.clone(),
            run_id,
            version: input.version.clone(),
            submitted_at: now,
        })
        .await?;
    if created {
        let event = run_event(
            "EncounterDetected",
            run_id,
            Some(input.correlation_id()),
            now,
            json!({"source": input.source, "encounterId": input.encounter_id,
                   "versionId": input.version, "via": "push"}),
        );
        if let Err(e) = state.store.append_events(&principal.tenant, &[event]).await {
            tracing::warn!(error = %e, "could not publish EncounterDetected");
        }
    }
    let view = if wait.is_zero() {
        None
    } else {
        state.engine.wait(&principal.tenant, run_id, wait).await?
    };
    let status = view.as_ref().map(|v| v.status);
    let finished = view.filter(|v| v.status.is_final()).map(|v| json!(v));
    Ok(submission_response(run_id, created, finished, status))
}

/// The encounter's current version on its server (`meta.versionId`, else
/// `meta.lastUpdated`), read through the `fhir` breaker within the request deadline;
/// `None` when the server cannot say now (the run is then keyed by the encounter
/// alone, and its first step reads the version it processes).
async fn current_version(state: &AppState, source: &Source, encounter_id: &str) -> Option<String> {
    let read = state
        .services
        .resilience
        .call(
            &source.endpoint,
            state.settings.providers.fhir.timeout,
            source.client.encounter(encounter_id),
        )
        .await;
    match read {
        Ok(encounter) => encounter.version(),
        Err(e) => {
            tracing::info!(source = %source.name, error = %e,
                "the encounter's version could not be read at submission");
            None
        }
    }
}

/// Query of the encounter reads: which source, when several have the id, and which
/// form (by transaction id) when an older one is wanted.
#[derive(Debug, Deserialize)]
pub struct SourceQuery {
    source: Option<String>,
    #[serde(rename = "transactionId")]
    transaction_id: Option<String>,
}

/// The run recorded for an encounter of the caller's tenant.
async fn find(
    state: &AppState,
    principal: &Principal,
    id: &str,
    source: Option<&str>,
) -> ApiResult<EncounterRunRow> {
    if !is_fhir_id(id) {
        return Err(ApiError::NotFound("encounter"));
    }
    let mut rows = state
        .store
        .encounter_runs(&principal.tenant, id, source)
        .await?;
    match rows.len() {
        0 => Err(ApiError::NotFound("encounter")),
        1 => Ok(rows.remove(0)),
        _ => {
            let names: Vec<&str> = rows.iter().map(|r| r.source.as_str()).collect();
            Err(ApiError::Conflict(format!(
                "encounter {id} is known from several sources ({}); name one with ?source=",
                names.join(", ")
            )))
        }
    }
}

/// `GET /v1/encounters/{id}?source=`: the processing state: run, steps, analysis, form.
#[utoipa::path(get, path = "/v1/encounters/{id}", operation_id = "getEncountersId", tag = "encounters",
    params(("id" = String, Path, pattern = "^[A-Za-z0-9.-]{1,64}$", description = "FHIR id of the encounter."), ("source" = Option<String>, Query, description = "The configured source, needed only when several sources of the tenant have this encounter id.")),
    responses(
        (status = 200, description = "The processing state: run, steps, analysis and forms.", body = EncounterState),
        (status = 409, description = "Several sources have this encounter id; name one with `?source=`.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<SourceQuery>,
) -> ApiResult<Json<EncounterState>> {
    let row = find(&state, &principal, &id, q.source.as_deref()).await?;
    let run = state
        .engine
        .get(&principal.tenant, row.run_id)
        .await?
        .ok_or(ApiError::NotFound("encounter"))?;
    let forms = state
        .store
        .encounter_forms(&principal.tenant, &row.encounter_id, &row.source)
        .await?;
    Ok(Json(EncounterState::of(&row, &run, &forms)?))
}

/// `GET /v1/encounters/{id}/form.pdf?source=&transactionId=`: the current
/// prior-authorization form, or a superseded one named by its transaction id.
#[utoipa::path(get, path = "/v1/encounters/{id}/form.pdf", operation_id = "getEncountersIdFormPdf", tag = "encounters",
    params(("id" = String, Path, pattern = "^[A-Za-z0-9.-]{1,64}$", description = "FHIR id of the encounter."), ("source" = Option<String>, Query, description = "The configured source, needed only when several sources of the tenant have this encounter id."),
        ("transactionId" = Option<String>, Query, description = "A superseded form's transaction id; without it, the current form.")),
    responses(
        (status = 200, description = "The PDF (US Letter, Unicode fonts embedded as subsets, text extractable): recommendation, patient, payer and member id (from Coverage), requesting provider and NPI, encounter, requested services with codes, units and dates, diagnoses, observations, criteria met, justification and a review block.",
            content_type = "application/pdf", body = Vec<u8>,
            headers(("Content-Disposition" = String, description = "`inline; filename=\"prior-authorization-<id>.pdf\"`"))),
        (status = 404, description = "No form yet (or none with that transaction id), an unknown encounter, or another tenant's.", content_type = "application/problem+json", body = super::error::Problem),
        (status = 409, description = "Several sources have this encounter id; name one with `?source=`.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn form_pdf(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<SourceQuery>,
) -> ApiResult<Response> {
    let row = find(&state, &principal, &id, q.source.as_deref()).await?;
    let pdf = state
        .store
        .encounter_form_pdf(
            &principal.tenant,
            &row.encounter_id,
            &row.source,
            q.transaction_id.as_deref(),
        )
        .await?
        .ok_or(ApiError::NotFound("form"))?;
    let mut response = (StatusCode::OK, pdf).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    let disposition = format!(
        "inline; filename=\"prior-authorization-{}.pdf\"",
        row.encounter_id
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}
