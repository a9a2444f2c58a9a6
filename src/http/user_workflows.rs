//! Tenants' own workflows over the API: `PUT /v1/workflows/{name}` checks a
//! definition and stores it as the next version (or, with `?dryRun=true`, only
//! answers its plan), and the reads of a workflow and its versions. Runs are
//! submitted like any other workflow's (`POST /v1/workflows/{name}/runs`).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use crate::auth::Principal;
use crate::domain::user_workflow::{UserWorkflow, parse, valid_name};
use crate::domain::validation::Problems;
use crate::engine::{RunOptions, WorkflowDefinition, dry_run};
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
fn steps_of(wf: &UserWorkflow) -> Vec<Value> {
    wf.steps
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "kind": s.kind.name(),
                "dependsOn": s.depends_on,
                "critical": s.policy.critical,
            })
        })
        .collect()
}

/// A stored version in listings: name, version, steps.
pub fn summary(row: &UserWorkflowRow) -> Value {
    let wf = parse(&row.name, &row.definition.0).ok();
    json!({
        "name": row.name,
        "version": row.version,
        "builtIn": false,
        "description": wf.as_ref().and_then(|w| w.description.clone()),
        "createdAt": row.created_at,
        "steps": wf.as_ref().map(steps_of).unwrap_or_default(),
    })
}

/// One stored version as the API shows it: the summary and the definition.
fn version_view(row: &UserWorkflowRow) -> Value {
    let mut view = summary(row);
    view["definition"] = row.definition.0.clone();
    view
}

/// `PUT /v1/workflows/{name}`: `201` with the new version, or `200` with the plan
/// for `?dryRun=true`.
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
        let plan = dry_run(&def, &RunOptions::default());
        let answer = json!({
            "dryRun": true,
            "name": name,
            "version": next,
            "steps": steps_of(&wf),
            "plan": plan,
        });
        return Ok((StatusCode::OK, axum::Json(answer)).into_response());
    }
    checked(&state, &principal, &name, 0, &body).await?;
    let now = state.engine.clock().now();
    let row = state
        .store
        .add_user_workflow_version(&principal.tenant, &name, &body, now)
        .await?;
    let location = format!("/v1/workflows/{name}/versions/{}", row.version);
    let mut response = (StatusCode::CREATED, axum::Json(version_view(&row))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /v1/workflows/{name}`: the latest version of the tenant's workflow, or a
/// built-in workflow's steps.
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    if let Some(def) = state.engine.registry().get(&name) {
        return Ok(Json(builtin_view(&def)));
    }
    let row = state
        .store
        .user_workflow(&principal.tenant, &name, None)
        .await?
        .ok_or(ApiError::NotFound("workflow"))?;
    Ok(Json(version_view(&row)))
}

/// A compiled-in workflow as the API shows it.
pub fn builtin_view(def: &WorkflowDefinition) -> Value {
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
    json!({"name": def.name, "version": def.version, "builtIn": true, "steps": steps})
}

/// `GET /v1/workflows/{name}/versions`: every version, oldest first.
pub async fn versions(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let rows = state
        .store
        .user_workflow_versions(&principal.tenant, &name)
        .await?;
    if rows.is_empty() {
        return Err(ApiError::NotFound("workflow"));
    }
    let versions: Vec<Value> = rows
        .iter()
        .map(|r| json!({"version": r.version, "createdAt": r.created_at}))
        .collect();
    Ok(Json(json!({"name": name, "versions": versions})))
}

/// `GET /v1/workflows/{name}/versions/{version}`: one version, as stored.
pub async fn version(
    State(state): State<AppState>,
    principal: Principal,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let version: i32 = version
        .parse()
        .map_err(|_| ApiError::NotFound("workflow version"))?;
    let row = state
        .store
        .user_workflow(&principal.tenant, &name, Some(version))
        .await?
        .ok_or(ApiError::NotFound("workflow version"))?;
    Ok(Json(version_view(&row)))
}
