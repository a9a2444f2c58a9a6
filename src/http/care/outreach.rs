//! `GET /v1/patients/{id}/outreach`: a patient's outreach plans with their check-in
//! attempts (and the delivery status of each check-in SMS), and the patient's
//! interactions with their classification, and whether the number of the newest plan
//! opted out of SMS (`smsConsent`). The answer's shape is `outreach_view`'s.

use axum::extract::State;

use super::outreach_view::{Outreach, OutreachRecords};
use crate::auth::Principal;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::store::NotificationFilter;

/// `GET /v1/patients/{id}/outreach`.
#[utoipa::path(get, path = "/v1/patients/{id}/outreach", operation_id = "getPatientsIdOutreach", tag = "patients",
    params(("id" = String, Path, description = "The patient's id, as given at discharge.")),
    responses((status = 200, description = "The patient's outreach plans with their check-ins, replies and notifications.", body = Outreach)))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(patient): Path<String>,
) -> ApiResult<Json<Outreach>> {
    let tenant = &principal.tenant;
    let store = &state.store;
    let plans = store.plans_for_patient(tenant, &patient).await?;
    let interactions = store.interactions_for_patient(tenant, &patient).await?;
    if plans.is_empty() && interactions.is_empty() {
        return Err(ApiError::NotFound("patient outreach"));
    }
    let consent = match plans.last() {
        Some(p) => store.latest_consent(tenant, &p.phone).await?,
        None => None,
    };
    let attempts = store.attempts_for_patient(tenant, &patient).await?;
    let filter = NotificationFilter {
        patient_id: Some(patient.clone()),
        limit: 500,
        ..NotificationFilter::default()
    };
    let notifications = store.list_notifications(tenant, &filter).await?;
    let records = OutreachRecords {
        plans,
        attempts,
        interactions,
        notifications,
        consent,
    };
    Ok(Json(Outreach::of(patient, &records)?))
}
