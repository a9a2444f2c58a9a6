//! `POST /v1/twilio-numbers`, `GET /v1/twilio-numbers` and
//! `DELETE /v1/twilio-numbers/{id}`: the Twilio numbers and Messaging Services of the
//! caller's tenant. An inbound SMS to one of them belongs to the tenant, and the
//! tenant's patient SMS and calls go out from the oldest one, so replies come back to
//! it. A number or service belongs to one tenant only: registering one that is taken
//! answers `409`, without saying by whom.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{optional_text, unknown_members};
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::store::{StoreError, TwilioNumberRow};
use crate::workflows::care::is_e164;

/// True for a Messaging Service SID: `MG` and 32 hexadecimal digits.
fn is_service_sid(sid: &str) -> bool {
    sid.strip_prefix("MG")
        .is_some_and(|hex| hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A Twilio number or Messaging Service of the tenant.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TwilioNumber {
    /// Id.
    pub number_id: Uuid,
    /// The number, for a number.
    #[schema(required = true)]
    pub phone_number: Option<String>,
    /// The SID, for a Messaging Service.
    #[schema(required = true)]
    pub messaging_service_sid: Option<String>,
    /// True for the tenant's oldest entry: patient SMS go out from it (calls from the
    /// oldest number).
    pub sender: bool,
    /// Added.
    pub created_at: DateTime<Utc>,
}

impl TwilioNumber {
    fn of(n: &TwilioNumberRow, sender: bool) -> Self {
        Self {
            number_id: n.number_id,
            phone_number: n.phone_number.clone(),
            messaging_service_sid: n.messaging_service_sid.clone(),
            sender,
            created_at: n.created_at,
        }
    }
}

/// `GET /v1/twilio-numbers`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TwilioNumberList {
    /// Oldest (the sender) first.
    pub twilio_numbers: Vec<TwilioNumber>,
}

/// `POST /v1/twilio-numbers`: `{phoneNumber}` (E.164) or `{messagingServiceSid}`
/// (`MG...`); answers `201` with the entry.
#[utoipa::path(post, path = "/v1/twilio-numbers", operation_id = "postTwilioNumbers", tag = "twilio-numbers",
    request_body = crate::http::openapi::care_requests::NewTwilioNumber,
    responses((status = 201, description = "The entry: replies to it are routed to the tenant, and the tenant's patient SMS go out from its oldest entry.", body = TwilioNumber,
            headers(("Location" = String, description = "The entry's URL."))),
        (status = 409, description = "The number or service belongs to a tenant already.", content_type = "application/problem+json", body = crate::http::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let mut p = Problems::new();
    let Some(obj) = body.as_object() else {
        p.push("", "must be a JSON object");
        return Err(ApiError::Validation(p));
    };
    unknown_members(obj, &["phoneNumber", "messagingServiceSid"], &mut p);
    let number = optional_text(obj, "phoneNumber", 20, &mut p);
    if number.as_deref().is_some_and(|n| !is_e164(n)) {
        p.push(
            "/phoneNumber",
            "must be an E.164 number such as +15551234567",
        );
    }
    let service = optional_text(obj, "messagingServiceSid", 34, &mut p);
    if service.as_deref().is_some_and(|s| !is_service_sid(s)) {
        p.push(
            "/messagingServiceSid",
            "must be a Messaging Service SID: MG and 32 hexadecimal digits",
        );
    }
    match (&number, &service) {
        (Some(_), Some(_)) => p.push(
            "",
            "give either phoneNumber or messagingServiceSid, not both",
        ),
        (None, None) if p.is_empty() => {
            p.push("/phoneNumber", "is required (or messagingServiceSid)")
        }
        _ => {}
    }
    if !p.is_empty() {
        return Err(ApiError::Validation(p));
    }
    let row = TwilioNumberRow {
        tenant_id: principal.tenant.clone(),
        number_id: Uuid::now_v7(),
        phone_number: number,
        messaging_service_sid: service,
        created_at: state.engine.clock().now(),
    };
    let row = match state.store.insert_twilio_number(&row).await {
        Ok(row) => row,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::Conflict(
                "This number or Messaging Service is registered already.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let sender = state
        .store
        .list_twilio_numbers(&principal.tenant)
        .await?
        .first()
        .is_some_and(|first| first.number_id == row.number_id);
    let mut response = (
        StatusCode::CREATED,
        axum::Json(TwilioNumber::of(&row, sender)),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/twilio-numbers/{}", row.number_id)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /v1/twilio-numbers`: the tenant's numbers and services, oldest (the sender)
/// first.
#[utoipa::path(get, path = "/v1/twilio-numbers", operation_id = "getTwilioNumbers", tag = "twilio-numbers",
    responses((status = 200, description = "The tenant's numbers and Messaging Services, oldest (the sender) first.", body = TwilioNumberList)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<TwilioNumberList>> {
    let rows = state.store.list_twilio_numbers(&principal.tenant).await?;
    let twilio_numbers = rows
        .iter()
        .enumerate()
        .map(|(i, n)| TwilioNumber::of(n, i == 0))
        .collect();
    Ok(Json(TwilioNumberList { twilio_numbers }))
}

/// `DELETE /v1/twilio-numbers/{id}`: `204`; replies to it are routed as to a shared
/// number from then on.
#[utoipa::path(delete, path = "/v1/twilio-numbers/{id}", operation_id = "deleteTwilioNumbersId", tag = "twilio-numbers",
    params(("id" = Uuid, Path, description = "The entry's id.")),
    responses((status = 204, description = "Removed; replies to it are then routed as to a shared number.")))]
pub async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("twilio number"))?;
    if state
        .store
        .delete_twilio_number(&principal.tenant, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("twilio number"))
    }
}

#[cfg(test)]
mod tests {
    use super::is_service_sid;

    #[test]
    fn messaging_service_sids_are_mg_and_32_hex_digits() {
        assert!(is_service_sid("MG0123456789abcdef0123456789ABCDEF"));
        assert!(!is_service_sid("MG0123"));
        assert!(!is_service_sid("PN0123456789abcdef0123456789abcdef"));
        assert!(!is_service_sid("MG0123456789abcdef0123456789abcdeg"));
    }
}
