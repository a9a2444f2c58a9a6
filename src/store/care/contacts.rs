//! Escalation contacts: the charge nurses and supervisors of a tenant who are told
//! about tasks nobody could take.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::{StoreResult, TenantId};

/// An escalation contact of a tenant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EscalationContactRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub contact_id: Uuid,
    /// Who it is.
    pub name: String,
    /// `charge_nurse` or `supervisor`.
    pub role: String,
    /// The E.164 number the SMS go to.
    pub phone: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// The tenants' escalation contacts.
#[async_trait]
pub trait EscalationContactStore {
    /// Stores a contact; `Conflict` when the tenant has one with the same number.
    async fn insert_escalation_contact(
        &self,
        contact: &EscalationContactRow,
    ) -> StoreResult<EscalationContactRow>;
    /// The tenant's contacts, oldest first.
    async fn list_escalation_contacts(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<Vec<EscalationContactRow>>;
    /// A contact of the tenant.
    async fn get_escalation_contact(
        &self,
        tenant: &TenantId,
        contact: Uuid,
    ) -> StoreResult<Option<EscalationContactRow>>;
    /// Removes a contact; false when the tenant has no such contact.
    async fn delete_escalation_contact(
        &self,
        tenant: &TenantId,
        contact: Uuid,
    ) -> StoreResult<bool>;
}
