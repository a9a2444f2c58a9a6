//! An inbound SMS that is an opt-out keyword (`STOP`, `UNSUBSCRIBE`, `CANCEL`, `END`,
//! `QUIT`, `STOPALL`) or an opt-in one (`START`, `UNSTOP`), alone in the message.
//! Twilio stops delivering to a number that sent STOP from the number it sent it to,
//! so the change belongs to the number, not to one patient: it is recorded in each
//! tenant concerned (the owner of the receiving number, else every tenant with a plan
//! for the sender's number), and an opt-out emits `patient/opted_out` for each of
//! that tenant's patients with active outreach to the number, which cancels their
//! pending check-ins. The keyword is not a clinical reply: it is neither classified
//! nor escalated. While a number is opted out, no SMS of the tenant goes to it; an
//! opt-in lets them go again.

use std::collections::BTreeMap;

use serde_json::json;
use uuid::Uuid;

use super::twilio_event;
use crate::domain::care::consent::ConsentAction;
use crate::engine::Clock;
use crate::store::{
    ConsentChangeRow, InboundCandidateRow, NewEvent, Store, StoreError, TenantId, TwilioNumberRow,
};

/// What the keyword SMS was about.
pub(super) struct KeywordSms<'a> {
    /// The sender's number.
    pub from: &'a str,
    /// Twilio's id of the SMS.
    pub message_sid: &'a str,
    /// The keyword, upper-cased.
    pub keyword: String,
    /// What it asks.
    pub action: ConsentAction,
}

/// Records the change in every tenant concerned and announces opt-outs.
pub(super) async fn record(
    store: &dyn Store,
    clock: &dyn Clock,
    sms: &KeywordSms<'_>,
    owner: Option<&TwilioNumberRow>,
    plans: &[InboundCandidateRow],
) -> Result<(), StoreError> {
    let mut tenants: BTreeMap<&str, (&TenantId, Vec<&str>)> = BTreeMap::new();
    if let Some(owner) = owner {
        tenants.insert(owner.tenant_id.as_str(), (&owner.tenant_id, Vec::new()));
    }
    for plan in plans {
        let entry = tenants
            .entry(plan.tenant_id.as_str())
            .or_insert((&plan.tenant_id, Vec::new()));
        if plan.status == "ACTIVE" && !entry.1.contains(&plan.patient_id.as_str()) {
            entry.1.push(plan.patient_id.as_str());
        }
    }
    let now = clock.now();
    for (tenant, patients) in tenants.into_values() {
        let events: Vec<NewEvent> = match sms.action {
            ConsentAction::OptOut => patients
                .iter()
                .map(|patient| {
                    twilio_event(
                        "patient/opted_out",
                        json!({
                            "patientId": patient,
                            "reason": "sms_keyword",
                            "keyword": sms.keyword,
                            "messageSid": sms.message_sid,
                        }),
                        now,
                    )
                })
                .collect(),
            ConsentAction::OptIn => Vec::new(),
        };
        let change = ConsentChangeRow {
            tenant_id: tenant.clone(),
            change_id: Uuid::now_v7(),
            phone: sms.from.to_string(),
            action: sms.action.as_str().to_string(),
            keyword: sms.keyword.clone(),
            message_sid: sms.message_sid.to_string(),
            received_at: now,
        };
        let new = store.record_consent_change(&change, &events).await?;
        tracing::info!(
            consent.action = sms.action.as_str(),
            patients = patients.len(),
            duplicate = !new,
            "SMS consent keyword recorded"
        );
    }
    Ok(())
}
