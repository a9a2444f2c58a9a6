//! Tenants' own workflows over the API: `PUT /v1/workflows/{name}` checks a
//! definition and stores it as the next version (or, with `?dryRun=true`, only
//! answers its plan), and the reads of a workflow and its versions. Runs are
//! submitted like any other workflow's (`POST /v1/workflows/{name}/runs`).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::openapi::bodies::WorkflowStep;
use crate::auth::Principal;
use crate::domain::user_workflow::{UserWorkflow, parse, valid_name};
use crate::domain::validation::Problems;
use crate::engine::{DryRunPlan, RunOptions, WorkflowDefinition, dry_run};
use crate::store::UserWorkflowRow;
use crate::workflows::user::Compiler;

/// Query of `PUT /v1/workflows/{name}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutQuery {
    /// Check and plan only; store nothing.
    pub dry_run: Option<bool>,
}

/// Checks the workflow name in the path.
fn checked_name(state: &AppState, name: &str) -> ApiResult<()> {
    if !valid_name(name) {
        let mut p = Problems::new();
        p.push("/path/name", "must be 1-64 letters, digits, `-` or `_`");
        return Err(ApiError::Validation(p));
    }
    if state.engine.registry().is_builtin(name) {
        return Err(ApiError::Conflict(format!(
            "`{name}` is a built-in workflow and cannot be replaced; choose another name"
        )));
    }
    Ok(())
}

/// The checked definition and its engine workflow, or every problem.
fn compile(
    state: &AppState,
    name: &str,
    version: i32,
    body: &Value,
) -> ApiResult<(UserWorkflow, WorkflowDefinition)> {
    let wf = parse(name, body).map_err(ApiError::Validation)?;
    let def = Compiler::new(&state.services)
        .compile(name, version, &wf)
        .map_err(|e| {
            // The checks above already refuse every graph the builder refuses; this
            // is their backstop.
            let mut p = Problems::new();
            p.push("/steps", e.to_string());
            ApiError::Validation(p)
        })?;
    Ok((wf, def))
}

/// The problems of `invoke` steps naming a workflow the tenant cannot run: neither
/// a built-in one nor one of its own (which must therefore be defined first; that
/// also keeps a tenant from building a cycle of workflows invoking each other).
/// Read from the JSON as sent, so they come in the same answer as every other
/// problem of the definition.
async fn unknown_targets(
    state: &AppState,
    principal: &Principal,
    name: &str,
    body: &Value,
) -> ApiResult<Problems> {
    let mut problems = Problems::new();
    let steps = body.get("steps").and_then(Value::as_array);
    for (i, step) in steps.into_iter().flatten().enumerate() {
        let target = match (step.get("kind"), step.get("workflow")) {
            (Some(Value::String(kind)), Some(Value::String(target))) if kind == "invoke" => target,
            _ => continue,
        };
        // Bad names and self-invocation are the parser's problems.
        if !valid_name(target) || target == name || state.engine.registry().is_builtin(target) {
            continue;
        }
        let own = state
            .store
            .user_workflow(&principal.tenant, target, None)
            .await?;
        if own.is_none() {
            let mut builtin: Vec<&str> = state
                .engine
                .registry()
                .all()
                .map(|d| d.name.as_str())
                .collect();
            builtin.sort_unstable();
            problems.push(
                format!("/steps/{i}/workflow"),
                format!(
                    "`{target}` is neither a built-in workflow nor one of yours (define it first); built-in: {}",
                    builtin.join(", ")
                ),
            );
        }
    }
    Ok(problems)
}

/// Every problem of a definition at once: its own (see [`compile`]) and its
/// `invoke` targets'.
async fn checked(
    state: &AppState,
    principal: &Principal,
    name: &str,
    version: i32,
    body: &Value,
) -> ApiResult<(UserWorkflow, WorkflowDefinition)> {
    let targets = unknown_targets(state, principal, name, body).await?;
    match compile(state, name, version, body) {
        Ok(compiled) if targets.is_empty() => Ok(compiled),
        Ok(_) => Err(ApiError::Validation(targets)),
        Err(ApiError::Validation(mut problems)) => {
            problems.extend_under("", targets);
            Err(ApiError::Validation(problems))
        }
        Err(e) => Err(e),
    }
}

/// How a definition's steps are shown: name, kind, dependencies, criticality.
fn steps_of(wf: &UserWorkflow) -> Vec<WorkflowStep> {
    wf.steps
        .iter()
        .map(|s| WorkflowStep {
            name: s.name.clone(),
            kind: Some(s.kind.name().to_string()),
            depends_on: s.depends_on.clone(),
            critical: s.policy.critical,
        })
        .collect()
}

/// A workflow as `GET /v1/workflows/{name}` and the version reads show it: a
/// tenant's stored version (with its definition) or a built-in workflow's steps.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UserWorkflowVersion)]
pub struct WorkflowVersion {
    /// The workflow's name.
    pub name: String,
    /// The version, from 1.
    pub version: i32,
    /// Compiled into careflow (`true`) or defined by the tenant (`false`).
    pub built_in: bool,
    /// A tenant's workflow: its description, `null` without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// A tenant's workflow: when this version was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Steps in definition order (a tenant's with their `kind`).
    pub steps: Vec<WorkflowStep>,
    /// A tenant's workflow: the definition as it was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::openapi::user_workflows::UserWorkflowDefinition>)]
    pub definition: Option<Value>,
}

/// The `200` of `PUT /v1/workflows/{name}?dryRun=true`: the definition checked and
/// planned, nothing stored.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UserWorkflowPlan)]
pub struct WorkflowPlan {
    /// Always true.
    pub dry_run: bool,
    /// The workflow's name.
    pub name: String,
    /// The version a `PUT` without `dryRun` would store.
    #[schema(minimum = 1)]
    pub version: i32,
    /// The steps, in definition order.
    pub steps: Vec<WorkflowStep>,
    /// Which steps would run, in order and in waves.
    pub plan: DryRunPlan,
}

/// `GET /v1/workflows/{name}/versions`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UserWorkflowVersionList)]
pub struct VersionList {
    /// The workflow's name.
    pub name: String,
    /// Every version, oldest first.
    pub versions: Vec<VersionEntry>,
}

/// One stored version in [`VersionList`].
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UserWorkflowVersionEntry)]
pub struct VersionEntry {
    /// The version, from 1.
    #[schema(minimum = 1)]
    pub version: i32,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// A stored version, with or without its definition.
fn own_view(row: &UserWorkflowRow, with_definition: bool) -> WorkflowVersion {
    let wf = parse(&row.name, &row.definition.0).ok();
    WorkflowVersion {
        name: row.name.clone(),
        version: row.version,
        built_in: false,
        description: Some(wf.as_ref().and_then(|w| w.description.clone())),
        created_at: Some(row.created_at),
        steps: wf.as_ref().map(steps_of).unwrap_or_default(),
        definition: with_definition.then(|| row.definition.0.clone()),
    }
}

/// A stored version in listings: name, version, description, steps.
pub fn summary(row: &UserWorkflowRow) -> Value {
    json!(own_view(row, false))
}

/// `PUT /v1/workflows/{name}`: `201` with the new version, or `200` with the plan
/// for `?dryRun=true`.
#[utoipa::path(put, path = "/v1/workflows/{name}", operation_id = "putWorkflowsName", tag = "workflows",
    params(("name" = String, Path, description = "The workflow's name: 1-64 letters, digits, `-` or `_`, not a built-in workflow's.",
            pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"),
        ("dryRun" = Option<bool>, Query, description = "Check the definition and answer its plan; nothing is stored.")),
    request_body = super::openapi::user_workflows::UserWorkflowDefinition,
    responses(
        (status = 200, description = "`dryRun=true`: the definition checked and planned, nothing stored.", body = WorkflowPlan),
        (status = 201, description = "The stored version; each `PUT` stores the next one (runs keep the version they started with).", body = WorkflowVersion,
            headers(("Location" = String, description = "`/v1/workflows/{name}/versions/{version}` of the stored version."))),
        (status = 409, description = "The name is a built-in workflow's, or another `PUT` of the same workflow stored that version at the same moment (send it again).", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn put(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    Query(q): Query<PutQuery>,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    checked_name(&state, &name)?;
    if q.dry_run.unwrap_or(false) {
        let next = state
            .store
            .user_workflow(&principal.tenant, &name, None)
            .await?
            .map_or(1, |r| r.version + 1);
        let (wf, def) = checked(&state, &principal, &name, next, &body).await?;
        let answer = WorkflowPlan {
            dry_run: true,
            steps: steps_of(&wf),
            plan: dry_run(&def, &RunOptions::default()),
            name,
            version: next,
        };
        return Ok((StatusCode::OK, axum::Json(answer)).into_response());
    }
    checked(&state, &principal, &name, 0, &body).await?;
    let now = state.engine.clock().now();
    let row = state
        .store
        .add_user_workflow_version(&principal.tenant, &name, &body, now)
        .await?;
    let location = format!("/v1/workflows/{name}/versions/{}", row.version);
    let mut response = (StatusCode::CREATED, axum::Json(own_view(&row, true))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /v1/workflows/{name}`: the latest version of the tenant's workflow, or a
/// built-in workflow's steps.
#[utoipa::path(get, path = "/v1/workflows/{name}", operation_id = "getWorkflowsName", tag = "workflows",
    params(("name" = String, Path, description = "The workflow's name: 1-64 letters, digits, `-` or `_`.")),
    responses((status = 200, description = "The latest version of the tenant's workflow with its definition, or a built-in workflow's steps (`builtIn: true`).", body = WorkflowVersion)))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Json<WorkflowVersion>> {
    if let Some(def) = state.engine.registry().get(&name) {
        return Ok(Json(builtin_view(&def)));
    }
    let row = state
        .store
        .user_workflow(&principal.tenant, &name, None)
        .await?
        .ok_or(ApiError::NotFound("workflow"))?;
    Ok(Json(own_view(&row, true)))
}

/// A compiled-in workflow as the API shows it.
fn builtin_view(def: &WorkflowDefinition) -> WorkflowVersion {
    let steps = def
        .steps
        .iter()
        .map(|s| WorkflowStep {
            name: s.name.clone(),
            depends_on: s.deps.iter().map(|&d| def.steps[d].name.clone()).collect(),
            critical: s.policy.critical,
            kind: None,
        })
        .collect();
    WorkflowVersion {
        name: def.name.clone(),
        version: def.version,
        built_in: true,
        description: None,
        created_at: None,
        steps,
        definition: None,
    }
}

/// `GET /v1/workflows/{name}/versions`: every version, oldest first.
#[utoipa::path(get, path = "/v1/workflows/{name}/versions", operation_id = "getWorkflowsNameVersions", tag = "workflows",
    params(("name" = String, Path, description = "The workflow's name: 1-64 letters, digits, `-` or `_`.")),
    responses((status = 200, description = "Every version of the tenant's workflow, oldest first.", body = VersionList)))]
pub async fn versions(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Json<VersionList>> {
    let rows = state
        .store
        .user_workflow_versions(&principal.tenant, &name)
        .await?;
    if rows.is_empty() {
        return Err(ApiError::NotFound("workflow"));
    }
    let versions = rows
        .iter()
        .map(|r| VersionEntry {
            version: r.version,
            created_at: r.created_at,
        })
        .collect();
    Ok(Json(VersionList { name, versions }))
}

/// `GET /v1/workflows/{name}/versions/{version}`: one version, as stored.
#[utoipa::path(get, path = "/v1/workflows/{name}/versions/{version}", operation_id = "getWorkflowsNameVersionsVersion", tag = "workflows",
    params(("name" = String, Path, description = "The workflow's name: 1-64 letters, digits, `-` or `_`."),
        ("version" = i32, Path, minimum = 1, description = "The version number, from 1 (any other text is an unknown version).")),
    responses((status = 200, description = "One version of the tenant's workflow, as stored; versions are never changed or deleted.", body = WorkflowVersion)))]
pub async fn version(
    State(state): State<AppState>,
    principal: Principal,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<Json<WorkflowVersion>> {
    let version: i32 = version
        .parse()
        .map_err(|_| ApiError::NotFound("workflow version"))?;
    let row = state
        .store
        .user_workflow(&principal.tenant, &name, Some(version))
        .await?
        .ok_or(ApiError::NotFound("workflow version"))?;
    Ok(Json(own_view(&row, true)))
}
