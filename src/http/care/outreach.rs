//! `GET /v1/patients/{id}/outreach`: a patient's outreach plans with their check-in
//! attempts (and the delivery status of each check-in SMS), and the patient's
//! interactions with their classification, and whether the number of the newest plan
//! opted out of SMS (`smsConsent`). The patient's number is shown masked.

use std::collections::HashMap;

use axum::extract::State;
use serde_json::{Value, json};
use uuid::Uuid;

use super::notification_view;
use crate::auth::Principal;
use crate::domain::casing::{api_option, api_value};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::store::{NotificationFilter, NotificationRow};

/// The last four digits of a number, the rest hidden.
fn masked(phone: &str) -> String {
    let tail: String = phone
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("***{tail}")
}

/// `GET /v1/patients/{id}/outreach`.
#[utoipa::path(get, path = "/v1/patients/{id}/outreach", operation_id = "getPatientsIdOutreach", tag = "patients",
    params(("id" = String, Path, description = "The patient's id, as given at discharge.")),
    responses((status = 200, description = "The patient's outreach plans with their check-ins, replies and notifications.", body = crate::http::openapi::care_log::Outreach)))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(patient): Path<String>,
) -> ApiResult<Json<Value>> {
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
    let by_attempt: HashMap<Uuid, &NotificationRow> = notifications
        .iter()
        .filter_map(|n| n.attempt_id.map(|a| (a, n)))
        .collect();
    let plans: Vec<Value> = plans
        .iter()
        .map(|p| {
            let attempts: Vec<Value> = attempts
                .iter()
                .filter(|a| a.plan_id == p.plan_id)
                .map(|a| {
                    json!({
                        "attemptId": a.attempt_id,
                        "number": a.attempt_number,
                        "channel": a.channel,
                        "status": api_value(&a.status),
                        "sentAt": a.sent_at,
                        "finishedAt": a.finished_at,
                        "interactionId": a.interaction_id,
                        "notification": by_attempt.get(&a.attempt_id).map(|n| json!({
                            "notificationId": n.notification_id,
                            "status": api_value(&n.status),
                            "error": n.error,
                        })),
                    })
                })
                .collect();
            json!({
                "planId": p.plan_id,
                "status": api_value(&p.status),
                "phone": masked(&p.phone),
                "dischargedAt": p.discharged_at,
                "maxAttempts": p.max_attempts,
                "replyTimeoutSecs": p.reply_timeout_secs,
                "createdAt": p.created_at,
                "finishedAt": p.finished_at,
                "attempts": attempts,
            })
        })
        .collect();
    let interactions: Vec<Value> = interactions
        .iter()
        .map(|i| {
            json!({
                "interactionId": i.interaction_id,
                "planId": i.plan_id,
                "channel": i.channel,
                "direction": i.direction,
                "text": i.body,
                "severity": api_option(i.severity.as_deref()),
                "matchedRules": i.matched_rules.as_ref().map(|r| r.0.clone()),
                "reason": i.reason,
                "decidedBy": api_option(i.classified_by.as_deref()),
                "taskId": i.task_id,
                "receivedAt": i.received_at,
                "classifiedAt": i.classified_at,
            })
        })
        .collect();
    let notifications: Vec<Value> = notifications.iter().map(notification_view).collect();
    Ok(Json(json!({
        "patientId": patient,
        "plans": plans,
        "interactions": interactions,
        "notifications": notifications,
        "smsConsent": consent.map(|c| json!({
            "optedOut": c.action == "opt_out",
            "keyword": c.keyword,
            "at": c.received_at,
        })),
    })))
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn only_the_last_four_digits_of_a_number_show() {
        assert_eq!(masked("+15551234567"), "***4567");
        assert_eq!(masked("12"), "***12");
    }
}
