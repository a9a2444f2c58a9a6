//! The generic workflow API: submit a run of any registered workflow, read a run,
//! cancel and retry it (the listing is in `run_list`).

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::engine::{Priority, RunOptions, RunView, Scheduling, Submission, Submitted, parse_wait};
use crate::store::{RunId, RunStatus};

/// Reads `?wait=`, capped just under the request timeout.
pub fn wait_param(state: &AppState, raw: Option<&str>, default: Duration) -> ApiResult<Duration> {
    let wait = match raw {
        None => default,
        Some(v) => parse_wait(v).map_err(|m| {
            let mut p = Problems::new();
            p.push("/query/wait", m);
            ApiError::Validation(p)
        })?,
    };
    let cap = state
        .settings
        .server
        .request_timeout
        .saturating_sub(Duration::from_secs(1));
    Ok(wait.min(cap))
}

/// The `Idempotency-Key` header, if any (1-255 visible characters).
pub fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255);
    match key {
        Some(k) => Ok(Some(k.to_string())),
        None => {
            let mut p = Problems::new();
            p.push(
                "/headers/idempotency-key",
                "must be 1-255 visible ASCII characters",
            );
            Err(ApiError::Validation(p))
        }
    }
}

/// The fingerprint of a submission's body, stored with a client's
/// `Idempotency-Key` to recognise the key reused for another request. The body is
/// hashed as parsed (object keys sorted, whitespace dropped), so formatting does
/// not make two equal requests differ.
pub fn fingerprint(body: &Value) -> String {
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

/// How a submission answers: `200` with `body` when the run ended within the wait,
/// `202` with the run's location otherwise.
pub fn submission_response(
    run_id: RunId,
    created: bool,
    finished: Option<Value>,
    status_if_pending: Option<RunStatus>,
) -> Response {
    let location = format!("/v1/runs/{run_id}");
    let mut response = match finished {
        Some(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        None => (
            StatusCode::ACCEPTED,
            axum::Json(json!({
                "runId": run_id,
                "status": status_if_pending.unwrap_or(RunStatus::Queued),
                "created": created,
                "location": location,
            })),
        )
            .into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// Query of `POST /v1/workflows/{name}/runs` and `GET /v1/runs/{id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// How long to wait for the result: a duration such as `30s` or `1500ms`, capped
    /// just under the request timeout.
    #[param(example = "30s")]
    pub wait: Option<String>,
}

/// `POST /v1/workflows/{name}/runs`: `{input, steps?, options?, correlationId?,
/// priority?}`.
#[utoipa::path(post, path = "/v1/workflows/{name}/runs", operation_id = "submitRun", tag = "runs",
    params(("name" = String, Path, description = "A registered workflow's name."), WaitQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "1-255 visible characters; a repeat with the same body answers the first run, with another body 422.")),
    request_body = super::openapi::bodies::SubmissionBody,
    responses(
        (status = 200, description = "The run ended within the wait: the run with its steps' timings, or the plan of a dry run.", body = super::openapi::bodies::SubmitResult),
        (status = 202, description = "The run goes on; poll `Location`.", body = super::openapi::bodies::Accepted,
            headers(("Location" = String, description = "The run's URL.")),
            // Links let a client (and the fuzzer's stateful phase) follow the new run.
            links(
                ("GetRun" = (operation_id = "getRun", parameters(("id" = "$response.body#/runId")), description = "The run.")),
                ("CancelRun" = (operation_id = "cancelRun", parameters(("id" = "$response.body#/runId")), description = "Cancel the run.")),
                ("RerunRun" = (operation_id = "rerunRun", parameters(("id" = "$response.body#/runId")), description = "Rerun the run once it has finished."))
            )),
        (status = 429, description = "The backlog is past its bound; with `Retry-After`.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    Query(q): Query<WaitQuery>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let def = state
        .engine
        .definition(&principal.tenant, &name, None)
        .await?
        .ok_or(ApiError::NotFound("workflow"))?;
    let wait = wait_param(
        &state,
        q.wait.as_deref(),
        state.settings.engine.default_wait,
    )?;
    let key = idempotency_key(&headers)?;
    let mut problems = Problems::new();
    if !body.is_object() {
        problems.push("", "must be a JSON object");
    }
    let options = match RunOptions::from_request(&def, body.get("steps"), body.get("options")) {
        Ok(o) => Some(o),
        Err(p) => {
            problems.extend_under("", p);
            None
        }
    };
    let correlation_id = match body.get("correlationId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 200 => Some(s.clone()),
        Some(_) => {
            problems.push("/correlationId", "must be a string of 1-200 characters");
            None
        }
    };
    let priority = Priority::from_field(body.get("priority")).unwrap_or_else(|m| {
        problems.push("/priority", m);
        Priority::DEFAULT
    });
    let Some(options) = options.filter(|_| problems.is_empty()) else {
        return Err(ApiError::Validation(problems));
    };
    let submission = Submission {
        tenant: principal.tenant,
        workflow: name,
        input: body.get("input").cloned().unwrap_or(Value::Null),
        options,
        fingerprint: key.as_ref().map(|_| fingerprint(&body)),
        idempotency_key: key,
        correlation_id,
    };
    let scheduling = Scheduling {
        priority,
        ..Scheduling::default()
    };
    match state
        .engine
        .submit_scheduled(submission, wait, scheduling)
        .await?
    {
        Submitted::DryRun(plan) => {
            Ok(axum::Json(json!({"dryRun": true, "plan": plan})).into_response())
        }
        Submitted::Run {
            run_id,
            created,
            finished,
        } => Ok(submission_response(
            run_id,
            created,
            finished.map(|v| json!(v)),
            None,
        )),
    }
}

fn parse_run_id(raw: &str) -> ApiResult<RunId> {
    raw.parse().map_err(|_| ApiError::NotFound("run"))
}

/// `GET /v1/runs/{id}?wait=`: the run; with `wait`, once it is final or the wait
/// is over (a long poll woken by notification).
#[utoipa::path(get, path = "/v1/runs/{id}", operation_id = "getRun", tag = "runs",
    params(("id" = String, Path, description = "The run's id (a UUID; any other text is an unknown run)."), WaitQuery),
    responses(
        (status = 200, description = "The run with its steps and their attempts.", body = RunView),
        (status = 202, description = "The replica is stopping before the wait ended: the run as it is; poll `Location` again.", body = RunView,
            headers(("Location" = String, description = "The run's URL."))),
    ))]
pub async fn get_run(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    let run = parse_run_id(&id)?;
    let wait = wait_param(&state, q.wait.as_deref(), Duration::ZERO)?;
    let view = if wait.is_zero() {
        state.engine.get(&principal.tenant, run).await?
    } else {
        state.engine.wait(&principal.tenant, run, wait).await?
    };
    let view = view.ok_or(ApiError::NotFound("run"))?;
    let view = state
        .engine
        .with_attempt_history(&principal.tenant, view)
        .await?;
    if !wait.is_zero() && !view.status.is_final() && state.engine.is_stopping() {
        // The replica is stopping: the wait ends now, and the client polls again
        // (another replica answers).
        return Ok(accepted(&view));
    }
    Ok(Json(view).into_response())
}

/// `202 Accepted` with the run as it is and `Location` to poll.
fn accepted(view: &RunView) -> Response {
    let mut response = (StatusCode::ACCEPTED, axum::Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/runs/{}", view.run_id)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// `POST /v1/runs/{id}/cancel`.
#[utoipa::path(post, path = "/v1/runs/{id}/cancel", operation_id = "cancelRun", tag = "runs",
    params(("id" = String, Path, description = "The run's id (a UUID; any other text is an unknown run).")),
    responses(
        (status = 200, description = "The cancelled run.", body = RunView),
        (status = 409, description = "The run's status forbids it.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn cancel_run(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    let run = parse_run_id(&id)?;
    Ok(Json(state.engine.cancel(&principal.tenant, run).await?))
}

/// `POST /v1/runs/{id}/pause`: a run no replica holds is held at once; a running
/// one finishes its current attempts, then holds (`pauseRequested` until then).
#[utoipa::path(post, path = "/v1/runs/{id}/pause", operation_id = "pauseRun", tag = "runs",
    params(("id" = String, Path, description = "The run's id (a UUID; any other text is an unknown run).")),
    responses(
        (status = 200, description = "The run, paused or with `pauseRequested`.", body = RunView),
        (status = 409, description = "The run's status forbids it.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn pause_run(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    let run = parse_run_id(&id)?;
    Ok(Json(state.engine.pause(&principal.tenant, run).await?))
}

/// `POST /v1/runs/{id}/resume`: a paused run goes on (at once when claimable).
#[utoipa::path(post, path = "/v1/runs/{id}/resume", operation_id = "resumeRun", tag = "runs",
    params(("id" = String, Path, description = "The run's id (a UUID; any other text is an unknown run).")),
    responses(
        (status = 200, description = "The resumed run.", body = RunView),
        (status = 409, description = "The run's status forbids it.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn resume_run(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    let run = parse_run_id(&id)?;
    Ok(Json(state.engine.resume(&principal.tenant, run).await?))
}

/// `POST /v1/workflows/{name}/pause`: the tenant's new and queued runs of the
/// workflow stay queued until it is resumed.
#[utoipa::path(post, path = "/v1/workflows/{name}/pause", operation_id = "pauseWorkflow", tag = "workflows",
    params(("name" = String, Path, description = "A built-in workflow's name, or one of the tenant's own.")),
    responses(
        (status = 200, description = "Whether the tenant now holds the workflow's new runs.", body = super::openapi::bodies::WorkflowPause),
        (status = 404, description = "No such workflow, built-in or the tenant's own.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn pause_workflow(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    set_workflow_paused(state, principal, name, true).await
}

/// `POST /v1/workflows/{name}/resume`.
#[utoipa::path(post, path = "/v1/workflows/{name}/resume", operation_id = "resumeWorkflow", tag = "workflows",
    params(("name" = String, Path, description = "A built-in workflow's name, or one of the tenant's own.")),
    responses(
        (status = 200, description = "Whether the tenant now holds the workflow's new runs.", body = super::openapi::bodies::WorkflowPause),
        (status = 404, description = "No such workflow, built-in or the tenant's own.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn resume_workflow(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    set_workflow_paused(state, principal, name, false).await
}

async fn set_workflow_paused(
    state: AppState,
    principal: Principal,
    name: String,
    paused: bool,
) -> ApiResult<Json<Value>> {
    state
        .engine
        .set_workflow_paused(&principal.tenant, &name, paused)
        .await?;
    Ok(Json(json!({"name": name, "paused": paused})))
}

/// `POST /v1/runs/{id}/retry`.
#[utoipa::path(post, path = "/v1/runs/{id}/retry", operation_id = "retryRun", tag = "runs",
    params(("id" = String, Path, description = "The run's id (a UUID; any other text is an unknown run).")),
    responses(
        (status = 202, description = "The run, queued again from its unfinished steps.", body = RunView),
        (status = 409, description = "The run's status forbids it.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn retry_run(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let run = parse_run_id(&id)?;
    let view = state.engine.retry(&principal.tenant, run).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(view)).into_response())
}

/// `GET /v1/workflows`: the built-in workflows and the tenant's own, their steps,
/// and whether the caller's tenant paused them.
#[utoipa::path(get, path = "/v1/workflows", operation_id = "listWorkflows", tag = "workflows",
    responses((status = 200, description = "The built-in workflows and the tenant's own.", body = super::openapi::bodies::WorkflowList)))]
pub async fn list_workflows(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    let paused = state.store.paused_workflows(&principal.tenant).await?;
    let workflows: Vec<Value> = state
        .engine
        .registry()
        .all()
        .map(|def| {
            let steps: Vec<Value> = def
                .steps
                .iter()
                .map(|s| {
                    json!({
                        "name": s.name,
                        "dependsOn": s.deps.iter().map(|&d| def.steps[d].name.clone()).collect::<Vec<_>>(),
                        "critical": s.policy.critical,
                    })
                })
                .collect();
            json!({
                "name": def.name,
                "version": def.version,
                "builtIn": true,
                "steps": steps,
                "paused": paused.contains(&def.name),
            })
        })
        .collect();
    // Then the tenant's own, at their latest versions.
    let own = state.store.latest_user_workflows(&principal.tenant).await?;
    let workflows: Vec<Value> = workflows
        .into_iter()
        .chain(own.iter().map(|row| {
            let mut view = super::user_workflows::summary(row);
            view["paused"] = json!(paused.contains(&row.name));
            view
        }))
        .collect();
    Ok(Json(json!({ "workflows": workflows })))
}

/// `GET /v1/me`: who the credential says the caller is.
#[utoipa::path(get, path = "/v1/me", operation_id = "getMe", tag = "service",
    responses((status = 200, description = "The authenticated caller.", body = Principal)))]
pub async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}
