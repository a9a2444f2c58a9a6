//! Routing an SMS a patient sends before anything is recorded.
//!
//! The tenant is the one whose Twilio number (or Messaging Service) received the SMS;
//! a number no tenant registered is shared, and every tenant's plans for the sender's
//! number count. Within those plans `domain::care::routing` picks the patient (the
//! one whose check-in awaits a reply) or says it is ambiguous. A routed SMS becomes
//! an interaction of that patient and the event `interaction/response_received`; an
//! ambiguous one is stored unrouted, and each tenant concerned gets
//! `interaction/unrouted` per patient who may have sent it (ids only), which raises a
//! review task there. Nothing of the text crosses tenants. An opt-out or opt-in
//! keyword alone (`STOP`, `START`, ...) changes the number's SMS consent instead
//! (see `consent`).

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::consent::{KeywordSms, record as record_consent};
use super::{InboundSms, twilio_event};
use crate::domain::care::consent;
use crate::domain::care::routing::{Candidate, Route, route};
use crate::domain::care::severity::classify;
use crate::engine::Clock;
use crate::store::{
    InboundCandidateRow, NewInteraction, NewUnroutedReply, Store, StoreError, UnroutedCandidate,
};

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

/// Records an inbound SMS where it belongs: a consent change, an interaction of the
/// one patient it answers, or an unrouted reply for review. A number without an
/// outreach plan records nothing.
pub async fn record_inbound(
    store: &dyn Store,
    clock: &dyn Clock,
    sms: &InboundSms,
) -> Result<(), StoreError> {
    let to = sms.to.as_deref();
    let service = sms.messaging_service_sid.as_deref();
    let owner = store.twilio_number_owner(to, service).await?;
    let rows = store
        .inbound_candidates(&sms.from, owner.as_ref().map(|o| &o.tenant_id))
        .await?;
    if let Some((keyword, action)) = consent::keyword(&sms.body) {
        let keyword_sms = KeywordSms {
            from: &sms.from,
            message_sid: &sms.message_sid,
            keyword,
            action,
        };
        return record_consent(store, clock, &keyword_sms, owner.as_ref(), &rows).await;
    }
    let candidates: Vec<Candidate> = rows.iter().map(candidate).collect();
    let now = clock.now();
    match route(&candidates) {
        Route::Nobody => {
            tracing::info!(
                registered_number = owner.is_some(),
                "inbound SMS from a number without an outreach plan; ignored"
            );
            Ok(())
        }
        Route::Patient(c) => match row_of(&rows, &c) {
            Some(plan) => routed(store, sms, plan, now).await,
            None => Ok(()),
        },
        Route::Ambiguous(patients) => {
            let plans: Vec<&InboundCandidateRow> =
                patients.iter().filter_map(|c| row_of(&rows, c)).collect();
            unrouted(store, sms, &plans, now).await
        }
    }
}

/// The SMS answers `plan`'s patient: an interaction and `interaction/response_received`.
async fn routed(
    store: &dyn Store,
    sms: &InboundSms,
    plan: &InboundCandidateRow,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let interaction_id = Uuid::now_v7();
    let event = twilio_event(
        "interaction/response_received",
        json!({
            "patientId": plan.patient_id,
            "interactionId": interaction_id,
            "planId": plan.plan_id,
            "channel": "sms",
            "messageSid": sms.message_sid,
        }),
        now,
    );
    let (row, new) = store
        .insert_interaction(
            &NewInteraction {
                tenant_id: plan.tenant_id.clone(),
                interaction_id,
                patient_id: plan.patient_id.clone(),
                plan_id: Some(plan.plan_id),
                channel: "sms".into(),
                body: sms.body.clone(),
                message_sid: Some(sms.message_sid.clone()),
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

/// The SMS may come from any of `plans`' patients: stored once, unrouted, with an
/// `interaction/unrouted` for each in its own tenant.
async fn unrouted(
    store: &dyn Store,
    sms: &InboundSms,
    plans: &[&InboundCandidateRow],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let reply_id = Uuid::now_v7();
    let concerned: Vec<UnroutedCandidate> = plans
        .iter()
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
    let severity = classify(&sms.body).severity.as_str().to_string();
    let new = store
        .insert_unrouted_reply(
            &NewUnroutedReply {
                reply_id,
                message_sid: sms.message_sid.clone(),
                from_phone: sms.from.clone(),
                to_number: sms.to.clone(),
                messaging_service_sid: sms.messaging_service_sid.clone(),
                body: sms.body.clone(),
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
