//! What routing an inbound SMS needs: the tenants' Twilio numbers and Messaging
//! Services, the plans a sender's number may be answering, and replies that stayed
//! ambiguous. The lookups by number span tenants by design (Twilio's webhook names
//! no tenant); everything they return carries the tenant that then applies.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::{NewEvent, StoreResult, TenantId};

/// A Twilio number or Messaging Service of a tenant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TwilioNumberRow {
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// Id.
    pub number_id: Uuid,
    /// An E.164 number, or
    pub phone_number: Option<String>,
    /// a Messaging Service SID (`MG...`).
    pub messaging_service_sid: Option<String>,
    /// Creation time (the oldest entry is the tenant's sender).
    pub created_at: DateTime<Utc>,
}

/// A plan an inbound SMS from its number may answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboundCandidateRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// The patient.
    pub patient_id: String,
    /// The plan.
    pub plan_id: Uuid,
    /// `ACTIVE`, ...
    pub status: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Whether a check-in of the plan awaits a reply.
    pub awaiting_reply: bool,
}

/// An inbound SMS that could not be routed to one patient.
#[derive(Debug, Clone)]
pub struct NewUnroutedReply {
    /// Id.
    pub reply_id: Uuid,
    /// Twilio's id of the SMS (deduplicates repeated webhooks).
    pub message_sid: String,
    /// The sender's number.
    pub from_phone: String,
    /// The number it was sent to.
    pub to_number: Option<String>,
    /// The Messaging Service it came through.
    pub messaging_service_sid: Option<String>,
    /// What the sender wrote.
    pub body: String,
    /// The rule table's severity of the text.
    pub severity: String,
    /// Arrival time.
    pub received_at: DateTime<Utc>,
}

/// A patient who may have sent an unrouted reply.
#[derive(Debug, Clone)]
pub struct UnroutedCandidate {
    /// Tenant.
    pub tenant_id: TenantId,
    /// The patient.
    pub patient_id: String,
    /// The patient's plan for the number.
    pub plan_id: Uuid,
    /// Events announcing the candidate to its tenant, appended in the same
    /// transaction when the reply is new.
    pub events: Vec<NewEvent>,
}

/// An unrouted reply as one tenant concerned may know it: no text, no number.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnroutedForTenant {
    /// Id.
    pub reply_id: Uuid,
    /// The tenant's patient who may have sent it.
    pub patient_id: String,
    /// The rule table's severity of the text.
    pub severity: String,
    /// Arrival time.
    pub received_at: DateTime<Utc>,
}

/// Twilio numbers of tenants, inbound routing, and unrouted replies.
#[async_trait]
pub trait RoutingStore {
    /// Stores a tenant's number or Messaging Service; `Conflict` when it belongs to
    /// a tenant already (this one or another).
    async fn insert_twilio_number(&self, row: &TwilioNumberRow) -> StoreResult<TwilioNumberRow>;
    /// The tenant's numbers and services, oldest first.
    async fn list_twilio_numbers(&self, tenant: &TenantId) -> StoreResult<Vec<TwilioNumberRow>>;
    /// Removes one of the tenant's numbers; false when it has no such entry.
    async fn delete_twilio_number(&self, tenant: &TenantId, id: Uuid) -> StoreResult<bool>;
    /// The entry for a receiving number, else for a Messaging Service, in any tenant.
    async fn twilio_number_owner(
        &self,
        to: Option<&str>,
        messaging_service_sid: Option<&str>,
    ) -> StoreResult<Option<TwilioNumberRow>>;
    /// Plans for the patient number `phone`, newest first, in `tenant` or (`None`)
    /// in every tenant.
    async fn inbound_candidates(
        &self,
        phone: &str,
        tenant: Option<&TenantId>,
    ) -> StoreResult<Vec<InboundCandidateRow>>;
    /// Stores an unrouted reply with the patients who may have sent it; false when
    /// its message id was stored already (nothing is written then).
    async fn insert_unrouted_reply(
        &self,
        reply: &NewUnroutedReply,
        candidates: &[UnroutedCandidate],
    ) -> StoreResult<bool>;
    /// An unrouted reply as the tenant sees it, when the tenant is concerned.
    async fn unrouted_for_tenant(
        &self,
        tenant: &TenantId,
        reply: Uuid,
        patient: &str,
    ) -> StoreResult<Option<UnroutedForTenant>>;
}
