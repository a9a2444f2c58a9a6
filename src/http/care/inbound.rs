//! `POST /v1/webhooks/twilio/inbound`: an SMS a patient sends, routed to the right
//! tenant and patient before anything is recorded.
//!
//! The tenant is the one whose Twilio number (or Messaging Service) received the SMS
//! (`POST /v1/twilio-numbers`); a number no tenant registered is shared, and every
//! tenant's plans for the sender's number count. Within those plans
//! `domain::care::routing` picks the patient (the one whose check-in awaits a reply)
//! or says it is ambiguous. A routed SMS becomes an interaction of that patient and
//! the event `interaction/response_received`; an ambiguous one is stored unrouted,
//! and each tenant concerned gets `interaction/unrouted` per patient who may have
//! sent it (ids only), which raises a review task there. Nothing of the text crosses
//! tenants. An opt-out or opt-in keyword alone (`STOP`, `START`, ...) changes the
//! number's SMS consent instead (see `consent`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use super::consent::{KeywordSms, record as record_consent};
use super::webhooks::{forbidden, param, twilio_event, twiml, verified};
use crate::domain::care::consent;
use crate::domain::care::routing::{Candidate, Route, route};
use crate::domain::care::severity::classify;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::store::{InboundCandidateRow, NewInteraction, NewUnroutedReply, UnroutedCandidate};
use crate::workflows::care::INBOUND_WEBHOOK;

/// Longest SMS text kept (Twilio concatenates at most 10 segments of 160).
const MAX_BODY: usize = 1600;

/// Answers `200` with empty TwiML, also for numbers without an outreach plan.
pub async fn inbound(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match verified(&state, INBOUND_WEBHOOK, &uri, &headers, &body) {
        Ok(p) => p,
        Err(why) => return forbidden(why),
    };
    match record_inbound(&state, &params).await {
        Ok(()) => twiml(),
        Err(e) => e.into_response(),
    }
}

fn candidate(row: &InboundCandidateRow) -> Candidate {
    Candidate {
        tenant: row.tenant_id.as_str().to_string(),
        patient_id: row.patient_id.clone(),
        plan_id: row.plan_id,
        active: row.status == "ACTIVE",
        awaiting_reply: row.awaiting_reply,
        created_at: row.created_at,
    }
}

/// The stored row a routing candidate came from.
fn row_of<'a>(rows: &'a [InboundCandidateRow], c: &Candidate) -> Option<&'a InboundCandidateRow> {
    rows.iter()
        .find(|r| r.plan_id == c.plan_id && r.tenant_id.as_str() == c.tenant)
}

async fn record_inbound(state: &AppState, params: &[(String, String)]) -> Result<(), ApiError> {
    let (Some(from), Some(sid)) = (param(params, "From"), param(params, "MessageSid")) else {
        return Ok(());
    };
    let to = param(params, "To");
    let service = param(params, "MessagingServiceSid");
    let owner = state.store.twilio_number_owner(to, service).await?;
    let rows = state
        .store
        .inbound_candidates(from, owner.as_ref().map(|o| &o.tenant_id))
        .await?;
    let candidates: Vec<Candidate> = rows.iter().map(candidate).collect();
    let text: String = param(params, "Body")
        .unwrap_or("")
        .chars()
        .take(MAX_BODY)
        .collect();
    if let Some((keyword, action)) = consent::keyword(&text) {
        let sms = KeywordSms {
            from,
            message_sid: sid,
            keyword,
            action,
        };
        return record_consent(state, &sms, owner.as_ref(), &rows).await;
    }
    let now = state.engine.clock().now();
    match route(&candidates) {
        Route::Nobody => {
            tracing::info!(
                registered_number = owner.is_some(),
                "inbound SMS from a number without an outreach plan; ignored"
            );
            Ok(())
        }
        Route::Patient(c) => {
            let Some(plan) = row_of(&rows, &c) else {
                return Ok(());
            };
            let interaction_id = Uuid::now_v7();
            let event = twilio_event(
                "interaction/response_received",
                json!({
                    "patientId": plan.patient_id,
                    "interactionId": interaction_id,
                    "planId": plan.plan_id,
                    "channel": "sms",
                    "messageSid": sid,
                }),
                now,
            );
            let (row, new) = state
                .store
                .insert_interaction(
                    &NewInteraction {
                        tenant_id: plan.tenant_id.clone(),
                        interaction_id,
                        patient_id: plan.patient_id.clone(),
                        plan_id: Some(plan.plan_id),
                        channel: "sms".into(),
                        body: text,
                        message_sid: Some(sid.to_string()),
                        origin_key: None,
                        received_at: now,
                    },
                    &[event],
                )
                .await?;
            tracing::info!(
                interaction.id = %row.interaction_id,
                plan.id = %plan.plan_id,
                duplicate = !new,
                "inbound SMS recorded"
            );
            Ok(())
        }
        Route::Ambiguous(patients) => {
            let reply_id = Uuid::now_v7();
            let concerned: Vec<UnroutedCandidate> = patients
                .iter()
                .filter_map(|c| row_of(&rows, c))
                .enumerate()
                .map(|(i, plan)| UnroutedCandidate {
                    tenant_id: plan.tenant_id.clone(),
                    patient_id: plan.patient_id.clone(),
                    plan_id: plan.plan_id,
                    events: vec![twilio_event(
                        "interaction/unrouted",
                        json!({
                            "unroutedReplyId": reply_id,
                            "patientId": plan.patient_id,
                            "planId": plan.plan_id,
                            // All candidates share the sender's number: one of them
                            // answers a CRITICAL reply, so the sender gets one safety SMS.
                            "answersSender": i == 0,
                        }),
                        now,
                    )],
                })
                .collect();
            let severity = classify(&text).severity.as_str().to_string();
            let new = state
                .store
                .insert_unrouted_reply(
                    &NewUnroutedReply {
                        reply_id,
                        message_sid: sid.to_string(),
                        from_phone: from.to_string(),
                        to_number: to.map(String::from),
                        messaging_service_sid: service.map(String::from),
                        body: text,
                        severity,
                        received_at: now,
                    },
                    &concerned,
                )
                .await?;
            tracing::warn!(
                unrouted_reply.id = %reply_id,
                candidates = concerned.len(),
                duplicate = !new,
                "inbound SMS could be from several patients; stored unrouted for review"
            );
            Ok(())
        }
    }
}
