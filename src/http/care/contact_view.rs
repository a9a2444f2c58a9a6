//! Escalation contacts as `GET /v1/escalation-contacts` and `POST` answer them: the
//! described answer types, apart from the handlers so that the request schemas
//! (`openapi::care_requests`) can name the role without importing a handler.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::stored::{Unlisted, enum_value};
use crate::store::EscalationContactRow;

/// An escalation contact's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// Charge nurse.
    ChargeNurse,
    /// Supervisor.
    Supervisor,
}

/// A charge nurse or supervisor told when a task nobody holds nears or breaches its
/// SLA.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EscalationContact {
    /// Id.
    pub contact_id: Uuid,
    /// Name.
    pub name: String,
    /// Role.
    pub role: ContactRole,
    /// E.164 number.
    pub phone: String,
    /// Added.
    pub created_at: DateTime<Utc>,
}

impl EscalationContact {
    /// The answer for a stored contact.
    pub(super) fn of(c: &EscalationContactRow) -> Result<Self, Unlisted> {
        Ok(Self {
            contact_id: c.contact_id,
            name: c.name.clone(),
            role: enum_value("escalation_contacts.role", &c.role)?,
            phone: c.phone.clone(),
            created_at: c.created_at,
        })
    }
}

/// `GET /v1/escalation-contacts`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EscalationContactList {
    /// Oldest first.
    pub escalation_contacts: Vec<EscalationContact>,
}
