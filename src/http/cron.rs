//! `/v1/cron-schedules`: the tenant's cron schedules (create, list, read, replace,
//! delete, pause, resume). The engine's tickers fire them; every run a schedule
//! starts has the correlation id `cron:<schedule id>`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path};
use super::openapi::cron::{CronCatchUp, CronOutcome, CronOverlap};
use crate::auth::Principal;
use crate::domain::casing::{api_option, api_value};
use crate::engine::EngineError;
use crate::engine::cron::{CronSpec, CronTarget, correlation_of, target_of};
use crate::store::{CronScheduleRow, RunId, StoreError};

const NOT_FOUND: ApiError = ApiError::NotFound("cron schedule");

/// A cron schedule, with its next tick and what its last tick did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CronSchedule)]
pub struct CronScheduleView {
    /// Id.
    pub id: Uuid,
    /// Unique in the tenant.
    pub name: String,
    /// What each tick starts.
    pub target: TargetView,
    /// The cron expression.
    pub expression: String,
    /// IANA time zone the expression is read in.
    pub time_zone: String,
    /// What a tick does while the previous run is unfinished.
    #[schema(value_type = CronOverlap)]
    pub overlap: String,
    /// What happens to ticks missed while no replica ran.
    #[schema(value_type = CronCatchUp)]
    pub catch_up: String,
    /// Paused: no tick fires.
    pub paused: bool,
    /// `null` while paused.
    #[schema(required = true)]
    pub next_tick_at: Option<DateTime<Utc>>,
    /// The last tick's time.
    #[schema(required = true)]
    pub last_tick_at: Option<DateTime<Utc>>,
    /// The run the last started tick started.
    #[schema(required = true)]
    pub last_run_id: Option<RunId>,
    /// What the last tick did.
    #[schema(value_type = Option<CronOutcome>, required = true)]
    pub last_outcome: Option<String>,
    /// `cron:<id>`, on every run the schedule starts (`GET /v1/runs?correlationId=`).
    pub correlation_id: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What a schedule's ticks start: a workflow run or an event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = CronTarget)]
pub enum TargetView {
    /// A run of `workflow` with `input`.
    Workflow {
        /// The workflow.
        workflow: String,
        /// The run's input.
        input: Value,
    },
    /// The event `event` with `data`.
    Event {
        /// The event's name.
        event: String,
        /// The event's data.
        data: Value,
    },
}

/// `GET /v1/cron-schedules`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronScheduleList {
    /// The tenant's schedules, by name.
    pub cron_schedules: Vec<CronScheduleView>,
}

fn view(row: &CronScheduleRow) -> CronScheduleView {
    let target = match target_of(row) {
        CronTarget::Workflow { name, input } => TargetView::Workflow {
            workflow: name,
            input,
        },
        CronTarget::Event { name, data } => TargetView::Event { event: name, data },
    };
    CronScheduleView {
        id: row.schedule_id,
        name: row.name.clone(),
        target,
        expression: row.expression.clone(),
        time_zone: row.time_zone.clone(),
        overlap: row.overlap.clone(),
        catch_up: api_value(&row.catch_up),
        paused: row.paused,
        next_tick_at: row.next_tick_at,
        last_tick_at: row.last_tick_at,
        last_run_id: row.last_run_id,
        last_outcome: api_option(row.last_outcome.as_deref()),
        correlation_id: correlation_of(row.schedule_id),
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
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
#[utoipa::path(post, path = "/v1/cron-schedules", operation_id = "postCronSchedules", tag = "cron-schedules",
    request_body = super::openapi::cron::NewCronSchedule,
    responses(
        (status = 201, description = "The schedule, with its next tick. Each tick fires once across replicas; its run has the idempotency key `cron:<id>:<tick>` and the correlation id `cron:<id>`.", body = CronScheduleView,
            headers(("Location" = String, description = "The schedule's URL."))),
        (status = 409, description = "Another schedule of the tenant has this name.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
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
#[utoipa::path(get, path = "/v1/cron-schedules", operation_id = "getCronSchedules", tag = "cron-schedules",
    responses((status = 200, description = "The tenant's schedules, by name.", body = CronScheduleList)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<CronScheduleList>> {
    let rows = state.store.list_cron_schedules(&principal.tenant).await?;
    Ok(Json(CronScheduleList {
        cron_schedules: rows.iter().map(view).collect(),
    }))
}

/// `GET /v1/cron-schedules/{id}`: the schedule, with its next tick and what its
/// last tick did.
#[utoipa::path(get, path = "/v1/cron-schedules/{id}", operation_id = "getCronSchedulesId", tag = "cron-schedules",
    params(("id" = String, Path, description = "The schedule's id (a UUID; any other text is an unknown schedule).")),
    responses((status = 200, description = "The schedule.", body = CronScheduleView)))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CronScheduleView>> {
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
#[utoipa::path(put, path = "/v1/cron-schedules/{id}", operation_id = "putCronSchedulesId", tag = "cron-schedules",
    params(("id" = String, Path, description = "The schedule's id (a UUID; any other text is an unknown schedule).")),
    request_body = super::openapi::cron::NewCronSchedule,
    responses(
        (status = 200, description = "The schedule as replaced, its next tick recomputed from now.", body = CronScheduleView),
        (status = 409, description = "Another schedule of the tenant has this name.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn replace(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> ApiResult<Json<CronScheduleView>> {
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
#[utoipa::path(delete, path = "/v1/cron-schedules/{id}", operation_id = "deleteCronSchedulesId", tag = "cron-schedules",
    params(("id" = String, Path, description = "The schedule's id (a UUID; any other text is an unknown schedule).")),
    responses((status = 204, description = "Deleted; runs it started go on.")))]
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
#[utoipa::path(post, path = "/v1/cron-schedules/{id}/pause", operation_id = "postCronSchedulesIdPause", tag = "cron-schedules",
    params(("id" = String, Path, description = "The schedule's id (a UUID; any other text is an unknown schedule).")),
    responses((status = 200, description = "The schedule, paused (`nextTickAt` is `null`).", body = CronScheduleView)))]
pub async fn pause(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CronScheduleView>> {
    set_paused(state, principal, id, true).await
}

/// `POST /v1/cron-schedules/{id}/resume`: goes on from the next tick after now
/// (ticks that passed while paused do not fire).
#[utoipa::path(post, path = "/v1/cron-schedules/{id}/resume", operation_id = "postCronSchedulesIdResume", tag = "cron-schedules",
    params(("id" = String, Path, description = "The schedule's id (a UUID; any other text is an unknown schedule).")),
    responses((status = 200, description = "The schedule, resumed from its next tick after now.", body = CronScheduleView)))]
pub async fn resume(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CronScheduleView>> {
    set_paused(state, principal, id, false).await
}

async fn set_paused(
    state: AppState,
    principal: Principal,
    id: String,
    paused: bool,
) -> ApiResult<Json<CronScheduleView>> {
    let id = parse_id(&id)?;
    let row = state
        .engine
        .set_cron_paused(&principal.tenant, id, paused)
        .await?
        .ok_or(NOT_FOUND)?;
    Ok(Json(view(&row)))
}
