//! `POST /v1/escalation-contacts`, `GET /v1/escalation-contacts` and
//! `DELETE /v1/escalation-contacts/{id}`: the tenant's charge nurses and supervisors.
//! Each is sent an SMS (through the notification log) when a task nobody could take
//! reaches its SLA warning and again at its breach. A number is listed once per
//! tenant: registering it again answers `409`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use uuid::Uuid;

use super::contact_view::{EscalationContact, EscalationContactList};
use super::{required_text, unknown_members};
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::store::{EscalationContactRow, StoreError};
use crate::workflows::care::is_e164;

/// The roles a contact may have.
pub const ROLES: [&str; 2] = ["charge_nurse", "supervisor"];

/// `POST /v1/escalation-contacts`: `{name, phone, role?}` (`charge_nurse`, the
/// default, or `supervisor`); answers `201` with the contact.
#[utoipa::path(post, path = "/v1/escalation-contacts", operation_id = "postEscalationContacts", tag = "escalation-contacts",
    request_body = crate::http::openapi::care_requests::NewEscalationContact,
    responses((status = 201, description = "The contact, told by SMS when a task nobody holds reaches its SLA warning and its breach.", body = EscalationContact,
            headers(("Location" = String, description = "The contact's URL."))),
        (status = 409, description = "The tenant has a contact with this phone number already.", content_type = "application/problem+json", body = crate::http::error::Problem)))]
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
    unknown_members(obj, &["name", "phone", "role"], &mut p);
    let name = required_text(obj, "name", 200, &mut p);
    let phone = required_text(obj, "phone", 20, &mut p);
    if !phone.is_empty() && !is_e164(&phone) {
        p.push("/phone", "must be an E.164 number such as +15551234567");
    }
    let role = match obj.get("role") {
        None | Some(Value::Null) => ROLES[0].to_string(),
        Some(Value::String(r)) if ROLES.contains(&r.as_str()) => r.clone(),
        Some(_) => {
            p.push("/role", format!("must be one of {}", ROLES.join(", ")));
            String::new()
        }
    };
    if !p.is_empty() {
        return Err(ApiError::Validation(p));
    }
    let row = EscalationContactRow {
        tenant_id: principal.tenant.clone(),
        contact_id: Uuid::now_v7(),
        name,
        role,
        phone,
        created_at: state.engine.clock().now(),
    };
    let row = match state.store.insert_escalation_contact(&row).await {
        Ok(row) => row,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::Conflict(
                "An escalation contact with this phone number exists already.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let mut response = (
        StatusCode::CREATED,
        axum::Json(EscalationContact::of(&row)?),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/escalation-contacts/{}", row.contact_id)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /v1/escalation-contacts`: the tenant's contacts, oldest first.
#[utoipa::path(get, path = "/v1/escalation-contacts", operation_id = "getEscalationContacts", tag = "escalation-contacts",
    responses((status = 200, description = "The tenant's escalation contacts, oldest first.", body = EscalationContactList)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<EscalationContactList>> {
    let rows = state
        .store
        .list_escalation_contacts(&principal.tenant)
        .await?;
    let escalation_contacts = rows
        .iter()
        .map(EscalationContact::of)
        .collect::<Result<_, _>>()?;
    Ok(Json(EscalationContactList {
        escalation_contacts,
    }))
}

/// `DELETE /v1/escalation-contacts/{id}`: `204`; the contact is told nothing more.
#[utoipa::path(delete, path = "/v1/escalation-contacts/{id}", operation_id = "deleteEscalationContactsId", tag = "escalation-contacts",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    responses((status = 204, description = "Removed; the contact is told nothing more.")))]
pub async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("escalation contact"))?;
    if state
        .store
        .delete_escalation_contact(&principal.tenant, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("escalation contact"))
    }
}
