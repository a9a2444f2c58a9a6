//! `/v1/cron-schedules`: the tenant's cron schedules (create, list, read, replace,
//! delete, pause, resume). The engine's tickers fire them; every run a schedule
//! starts has the correlation id `cron:<schedule id>`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path};
use crate::auth::Principal;
use crate::domain::casing::{api_option, api_value};
use crate::engine::EngineError;
use crate::engine::cron::{CronSpec, CronTarget, correlation_of, target_of};
use crate::store::{CronScheduleRow, StoreError};

const NOT_FOUND: ApiError = ApiError::NotFound("cron schedule");

fn view(row: &CronScheduleRow) -> Value {
    let target = match target_of(row) {
        CronTarget::Workflow { name, input } => json!({"workflow": name, "input": input}),
        CronTarget::Event { name, data } => json!({"event": name, "data": data}),
    };
    json!({
        "id": row.schedule_id,
        "name": row.name,
        "target": target,
        "expression": row.expression,
        "timeZone": row.time_zone,
        "overlap": row.overlap,
        "catchUp": api_value(&row.catch_up),
        "paused": row.paused,
        "nextTickAt": row.next_tick_at,
        "lastTickAt": row.last_tick_at,
        "lastRunId": row.last_run_id,
        "lastOutcome": api_option(row.last_outcome.as_deref()),
        "correlationId": correlation_of(row.schedule_id),
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    })
}

fn parse_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| NOT_FOUND)
}

fn spec_of(state: &AppState, body: &Value) -> ApiResult<CronSpec> {
    CronSpec::from_request(body, state.engine.registry(), state.engine.clock().now())
        .map_err(ApiError::Validation)
}

/// A name another schedule of the tenant has is a `409`.
fn name_taken(e: EngineError) -> ApiError {
    match e {
        EngineError::Store(StoreError::Conflict(_)) => {
            ApiError::Conflict("A cron schedule with this name exists already.".into())
        }
        e => e.into(),
    }
}

/// `POST /v1/cron-schedules`: `{name, target, expression, timeZone?, overlap?,
/// catchUp?, paused?}`; answers `201` with the schedule and its `nextTickAt`.
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let spec = spec_of(&state, &body)?;
    let row = state
        .engine
        .create_cron(&principal.tenant, spec)
        .await
        .map_err(name_taken)?;
    let mut response = (StatusCode::CREATED, axum::Json(view(&row))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/cron-schedules/{}", row.schedule_id)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /v1/cron-schedules`: the tenant's schedules, by name.
pub async fn list(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Value>> {
    let rows = state.store.list_cron_schedules(&principal.tenant).await?;
    let views: Vec<Value> = rows.iter().map(view).collect();
    Ok(Json(json!({ "cronSchedules": views })))
}

/// `GET /v1/cron-schedules/{id}`.
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let row = state
        .store
        .get_cron_schedule(&principal.tenant, id)
        .await?
        .ok_or(NOT_FOUND)?;
    Ok(Json(view(&row)))
}

/// `PUT /v1/cron-schedules/{id}`: the whole schedule again, as for `POST`; the
/// next tick is recomputed from now.
pub async fn replace(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let spec = spec_of(&state, &body)?;
    let row = state
        .engine
        .replace_cron(&principal.tenant, id, spec)
        .await
        .map_err(name_taken)?
        .ok_or(NOT_FOUND)?;
    Ok(Json(view(&row)))
}

/// `DELETE /v1/cron-schedules/{id}`: `204`; runs it started go on.
pub async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id)?;
    if state
        .store
        .delete_cron_schedule(&principal.tenant, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(NOT_FOUND)
    }
}

/// `POST /v1/cron-schedules/{id}/pause`: no tick fires until it is resumed.
pub async fn pause(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_paused(state, principal, id, true).await
}

/// `POST /v1/cron-schedules/{id}/resume`: goes on from the next tick after now
/// (ticks that passed while paused do not fire).
pub async fn resume(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_paused(state, principal, id, false).await
}

async fn set_paused(
    state: AppState,
    principal: Principal,
    id: String,
    paused: bool,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let row = state
        .engine
        .set_cron_paused(&principal.tenant, id, paused)
        .await?
        .ok_or(NOT_FOUND)?;
    Ok(Json(view(&row)))
}
