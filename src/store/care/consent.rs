//! SMS consent (opt-out and opt-in keywords a number sent to a tenant) and stopping an
//! outreach plan before its end: what `STOP` and the readmission, opt-out and death
//! events change.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PlanRow;
use crate::store::{NewEvent, StoreResult, TenantId};

/// One opt-out or opt-in of a number, as recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentChangeRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub change_id: Uuid,
    /// The number that sent the keyword.
    pub phone: String,
    /// `opt_out` or `opt_in`.
    pub action: String,
    /// The keyword, upper-cased.
    pub keyword: String,
    /// Twilio's id of the SMS.
    pub message_sid: String,
    /// Arrival time.
    pub received_at: DateTime<Utc>,
}

/// Consent, and outreach stopped early.
#[async_trait]
pub trait ConsentStore {
    /// Records a change with the events announcing it, in one transaction; false
    /// (nothing written) when the tenant recorded this message already.
    async fn record_consent_change(
        &self,
        change: &ConsentChangeRow,
        events: &[NewEvent],
    ) -> StoreResult<bool>;
    /// The newest change for a number of the tenant: it opted out when its action is
    /// `opt_out`.
    async fn latest_consent(
        &self,
        tenant: &TenantId,
        phone: &str,
    ) -> StoreResult<Option<ConsentChangeRow>>;
    /// The plan a `schedule-checkin` run created (its origin key is the run id).
    async fn plan_by_origin(&self, tenant: &TenantId, origin: &str)
    -> StoreResult<Option<PlanRow>>;
    /// Ends an active plan with `status` (`CANCELLED`, `OPTED_OUT`) and its attempt
    /// awaiting a reply (`CANCELLED`); false when the plan was not active.
    async fn stop_plan(
        &self,
        tenant: &TenantId,
        plan: Uuid,
        status: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
