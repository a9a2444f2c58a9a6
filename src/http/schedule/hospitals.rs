//! `POST /v1/hospitals` and `GET /v1/hospitals`: the hospitals schedules are imported for.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Principal;
use crate::domain::schedule::zone::parse_zone;
use crate::domain::validation::Problems;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::store::{HospitalRow, StoreError};

/// Longest hospital name.
const MAX_NAME: usize = 200;

/// A hospital as clients see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Hospital)]
pub struct HospitalView {
    /// Id.
    pub id: Uuid,
    /// Unique in the tenant.
    pub name: String,
    /// IANA time zone its shift times are wall-clock times in.
    #[schema(example = "America/New_York")]
    pub time_zone: String,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/hospitals`: the tenant's hospitals.
#[derive(Debug, Serialize, ToSchema)]
pub struct HospitalList {
    /// By name.
    pub hospitals: Vec<HospitalView>,
}

impl From<HospitalRow> for HospitalView {
    fn from(h: HospitalRow) -> Self {
        Self {
            id: h.hospital_id,
            name: h.name,
            time_zone: h.time_zone,
            created_by: h.created_by,
            created_at: h.created_at,
        }
    }
}

/// `POST /v1/hospitals` `{name, timeZone?}`: `201` with the hospital; `409` when the
/// tenant has one of that name. `timeZone` is an IANA name (default
/// `schedules.default_time_zone`).
#[utoipa::path(post, path = "/v1/hospitals", operation_id = "postHospitals", tag = "hospitals",
    request_body = crate::http::openapi::schedules::NewHospital,
    responses(
        (status = 201, description = "The hospital.", body = HospitalView),
        (status = 409, description = "The tenant has a hospital of this name.", content_type = "application/problem+json", body = crate::http::error::Problem),
    ))]
pub async fn create_hospital(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let mut problems = Problems::new();
    let time_zone = match body.get("timeZone") {
        None | Some(Value::Null) => state.settings.schedules.default_time_zone.clone(),
        Some(Value::String(z)) => match parse_zone(z) {
            Some(zone) => zone.name().to_owned(),
            None => {
                problems.push(
                    "/timeZone",
                    "must be an IANA time zone name such as America/New_York",
                );
                String::new()
            }
        },
        Some(_) => {
            problems.push("/timeZone", "must be a string");
            String::new()
        }
    };
    let name = match &body {
        Value::Object(map) => {
            for key in map
                .keys()
                .filter(|k| !matches!(k.as_str(), "name" | "timeZone"))
            {
                problems.push(
                    format!("/{}", crate::engine::escape_pointer(key)),
                    "is not a field of a hospital",
                );
            }
            match map.get("name") {
                Some(Value::String(n)) => {
                    let n = n.trim();
                    if n.is_empty() || n.chars().count() > MAX_NAME {
                        problems.push("/name", format!("must be 1-{MAX_NAME} characters"));
                    } else if n.chars().any(char::is_control) {
                        problems.push("/name", "must not contain control characters");
                    }
                    n.to_owned()
                }
                Some(_) => {
                    problems.push("/name", "must be a string");
                    String::new()
                }
                None => {
                    problems.push("/name", "is required");
                    String::new()
                }
            }
        }
        _ => {
            problems.push("", "must be a JSON object");
            String::new()
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let row = HospitalRow {
        hospital_id: Uuid::now_v7(),
        name,
        time_zone,
        created_by: principal.subject.clone(),
        created_at: state.engine.clock().now(),
    };
    match state.store.create_hospital(&principal.tenant, &row).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::Conflict(
                "A hospital with this name already exists.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    Ok((StatusCode::CREATED, axum::Json(HospitalView::from(row))).into_response())
}

/// `GET /v1/hospitals`: the tenant's hospitals, by name.
#[utoipa::path(get, path = "/v1/hospitals", operation_id = "getHospitals", tag = "hospitals",
    responses((status = 200, description = "The tenant's hospitals, by name.", body = HospitalList)))]
pub async fn list_hospitals(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<HospitalList>> {
    let rows = state.store.list_hospitals(&principal.tenant).await?;
    let hospitals = rows.into_iter().map(HospitalView::from).collect();
    Ok(Json(HospitalList { hospitals }))
}
