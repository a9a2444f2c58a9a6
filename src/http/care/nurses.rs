//! `POST /v1/nurses`, `GET /v1/nurses` and `GET /v1/nurses/{id}` (with current and
//! upcoming shifts and whether on shift now), and `POST /v1/nurses/{id}/shifts`: who
//! assignment chooses from.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::nurse_view::{Nurse, NurseList, Shift};
use super::{optional_text, required_text, unknown_members};
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::store::{NewNurse, ShiftRow};
use crate::workflows::care::is_e164;

/// The longest shift accepted.
const MAX_SHIFT: Duration = Duration::from_secs(7 * 24 * 3600);

/// `201` with `body`, and its URL in `Location` when it has one.
fn created<T: serde::Serialize>(location: Option<String>, body: T) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Some(Ok(v)) = location.map(|l| HeaderValue::from_str(&l)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn object(body: &Value, p: &mut Problems) -> Option<Map<String, Value>> {
    match body {
        Value::Object(o) => Some(o.clone()),
        _ => {
            p.push("", "must be a JSON object");
            None
        }
    }
}

/// `POST /v1/nurses`: `{name, phone?, email?, preferredChannel?, maxOpenTasks?}`.
/// The preferred channel (`sms`, `email`, `voice`) defaults to `sms` with a phone
/// number, else `email`, and needs the matching contact.
#[utoipa::path(post, path = "/v1/nurses", operation_id = "postNurses", tag = "nurses",
    request_body = crate::http::openapi::care_requests::NewNurse,
    responses((status = 201, description = "The nurse, who can now be assigned tasks during shifts.", body = Nurse,
        headers(("Location" = String, description = "The nurse's URL.")))))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let mut p = Problems::new();
    let Some(obj) = object(&body, &mut p) else {
        return Err(ApiError::Validation(p));
    };
    unknown_members(
        &obj,
        &["name", "phone", "email", "preferredChannel", "maxOpenTasks"],
        &mut p,
    );
    let name = required_text(&obj, "name", 200, &mut p);
    let phone = optional_text(&obj, "phone", 20, &mut p);
    if phone.as_deref().is_some_and(|n| !is_e164(n)) {
        p.push("/phone", "must be an E.164 number such as +15551234567");
    }
    let email = optional_text(&obj, "email", 254, &mut p);
    if email
        .as_deref()
        .is_some_and(|e| e.parse::<lettre::Address>().is_err())
    {
        p.push("/email", "must be an email address");
    }
    let default_channel = if phone.is_some() { "sms" } else { "email" };
    let channel = match obj.get("preferredChannel") {
        None | Some(Value::Null) => default_channel.to_string(),
        Some(Value::String(c)) if matches!(c.as_str(), "sms" | "email" | "voice") => c.clone(),
        Some(_) => {
            p.push("/preferredChannel", "must be sms, email or voice");
            default_channel.to_string()
        }
    };
    match channel.as_str() {
        "sms" | "voice" if phone.is_none() => {
            p.push(
                "/phone",
                format!("is required for preferredChannel {channel}"),
            );
        }
        "email" if email.is_none() => {
            p.push("/email", "is required for preferredChannel email");
        }
        _ => {}
    }
    let max_open = match obj.get("maxOpenTasks") {
        None | Some(Value::Null) => state.settings.care.max_open_tasks,
        Some(v) => match v.as_u64().filter(|n| (1..=1000).contains(n)) {
            Some(n) => u32::try_from(n).unwrap_or(1),
            None => {
                p.push("/maxOpenTasks", "must be a whole number from 1 to 1000");
                1
            }
        },
    };
    if !p.is_empty() {
        return Err(ApiError::Validation(p));
    }
    let now = state.engine.clock().now();
    let row = state
        .store
        .insert_nurse(&NewNurse {
            tenant_id: principal.tenant.clone(),
            nurse_id: Uuid::now_v7(),
            name,
            phone,
            email,
            preferred_channel: channel,
            max_open_tasks: i32::try_from(max_open).unwrap_or(1),
            created_at: now,
        })
        .await?;
    Ok(created(
        Some(format!("/v1/nurses/{}", row.nurse_id)),
        Nurse::of(&row, &[], now)?,
    ))
}

/// `GET /v1/nurses`: every nurse of the tenant, by name.
#[utoipa::path(get, path = "/v1/nurses", operation_id = "getNurses", tag = "nurses",
    responses((status = 200, description = "The tenant's nurses by name, with current and upcoming shifts.", body = NurseList)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<NurseList>> {
    let now = state.engine.clock().now();
    let nurses = state.store.list_nurses(&principal.tenant).await?;
    let shifts = state
        .store
        .shifts_ending_after(&principal.tenant, now)
        .await?;
    let nurses = nurses
        .iter()
        .map(|n| {
            let own: Vec<&ShiftRow> = shifts.iter().filter(|s| s.nurse_id == n.nurse_id).collect();
            Nurse::of(n, &own, now)
        })
        .collect::<Result<_, _>>()?;
    Ok(Json(NurseList { nurses }))
}

fn time(obj: &Map<String, Value>, key: &str, p: &mut Problems) -> Option<DateTime<Utc>> {
    let parsed = obj
        .get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc));
    if parsed.is_none() {
        p.push(format!("/{key}"), "is required: an RFC 3339 time");
    }
    parsed
}

/// `POST /v1/nurses/{id}/shifts`: `{startsAt, endsAt}` (RFC 3339, at most 7 days).
#[utoipa::path(post, path = "/v1/nurses/{id}/shifts", operation_id = "postNursesIdShifts", tag = "nurses",
    params(("id" = Uuid, Path, description = "The nurse's id.")),
    request_body = crate::http::openapi::care_requests::NewShift,
    responses((status = 201, description = "The shift, during which the nurse can be assigned.", body = Shift)))]
pub async fn add_shift(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let nurse_id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("nurse"))?;
    let mut p = Problems::new();
    let Some(obj) = object(&body, &mut p) else {
        return Err(ApiError::Validation(p));
    };
    unknown_members(&obj, &["startsAt", "endsAt"], &mut p);
    let starts = time(&obj, "startsAt", &mut p);
    let ends = time(&obj, "endsAt", &mut p);
    if let (Some(s), Some(e)) = (starts, ends) {
        let length = (e - s).to_std().unwrap_or(Duration::ZERO);
        if e <= s {
            p.push("/endsAt", "must be after startsAt");
        } else if length > MAX_SHIFT {
            p.push("/endsAt", "a shift lasts at most 7 days");
        }
    }
    let (Some(starts_at), Some(ends_at)) = (starts, ends) else {
        return Err(ApiError::Validation(p));
    };
    if !p.is_empty() {
        return Err(ApiError::Validation(p));
    }
    state
        .store
        .get_nurse(&principal.tenant, nurse_id)
        .await?
        .ok_or(ApiError::NotFound("nurse"))?;
    let shift = state
        .store
        .insert_shift(&ShiftRow {
            tenant_id: principal.tenant.clone(),
            shift_id: Uuid::now_v7(),
            nurse_id,
            starts_at,
            ends_at,
            created_at: state.engine.clock().now(),
        })
        .await?;
    Ok(created(None, Shift::from(&shift)))
}

/// `GET /v1/nurses/{id}`: one nurse with current and upcoming shifts.
#[utoipa::path(get, path = "/v1/nurses/{id}", operation_id = "getNursesId", tag = "nurses",
    params(("id" = Uuid, Path, description = "The nurse's id.")),
    responses((status = 200, description = "The nurse with current and upcoming shifts.", body = Nurse)))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Nurse>> {
    let nurse_id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("nurse"))?;
    let nurse = state
        .store
        .get_nurse(&principal.tenant, nurse_id)
        .await?
        .ok_or(ApiError::NotFound("nurse"))?;
    let now = state.engine.clock().now();
    let shifts = state
        .store
        .shifts_ending_after(&principal.tenant, now)
        .await?;
    let own: Vec<&ShiftRow> = shifts.iter().filter(|s| s.nurse_id == nurse_id).collect();
    Ok(Json(Nurse::of(&nurse, &own, now)?))
}
