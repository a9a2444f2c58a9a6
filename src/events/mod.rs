//! The live event stream: a pump that reads committed events in position order and
//! a hub that fans them out to subscribers, each with its own bounded buffer.
//!
//! Every replica runs a pump. Replicas share events through the database: a commit
//! wakes its own replica's pump in-process, that pump gives the new events their
//! positions and notifies every replica (PostgreSQL LISTEN/NOTIFY), and each pump
//! reads the table from its last position. So every subscriber on every replica sees
//! the same events in the same order, and a reconnecting client replays from the
//! table what it missed.

mod hub;
mod pump;

pub use hub::{Delivery, Hub, Subscription};
pub use pump::spawn_pump;

use serde::Serialize;
use serde_json::Value;

use crate::store::EventRow;

/// An event as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Event)]
pub struct EventView {
    /// Position in commit order: the id to resume from.
    pub id: i64,
    /// The event's unique id.
    pub event_id: uuid::Uuid,
    /// Type, e.g. `step.completed` or `PA_FORM_READY`.
    pub event_type: String,
    /// Correlates the events of one business transaction.
    pub correlation_id: Option<String>,
    /// Producer.
    pub source: String,
    /// When it happened.
    pub timestamp: chrono::DateTime<chrono::Utc>,
    /// Owner.
    pub tenant_id: String,
    /// The run it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<crate::store::RunId>,
    /// The run's workflow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// Payload.
    pub data: Value,
}

impl From<&EventRow> for EventView {
    fn from(e: &EventRow) -> Self {
        Self {
            id: e.position,
            event_id: e.event_id,
            event_type: e.event_type.clone(),
            correlation_id: e.correlation_id.clone(),
            source: e.source.clone(),
            timestamp: e.created_at,
            tenant_id: e.tenant_id.to_string(),
            run_id: e.run_id,
            workflow: e.workflow.clone(),
            data: e.data.0.clone(),
        }
    }
}
