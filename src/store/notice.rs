//! Notices the store broadcasts so that replicas re-read instead of polling.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Something changed that a replica may want to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "camelCase")]
pub enum Notice {
    /// A run reached a final state: wake whoever waits for its result.
    RunFinished {
        /// The run's tenant.
        tenant: String,
        /// The run.
        run: Uuid,
    },
    /// Work became claimable (a submission queued, a lease released, an event woke
    /// a waiting run): idle workers should look.
    RunsReady,
    /// Someone asked to cancel a run: its holder should signal its steps.
    CancelRequested {
        /// The run's tenant.
        tenant: String,
        /// The run.
        run: Uuid,
    },
    /// Someone asked to pause a running run: its holder should let the current
    /// attempts finish, then park it.
    PauseRequested {
        /// The run's tenant.
        tenant: String,
        /// The run.
        run: Uuid,
    },
    /// New events were committed in this process: the event pump should read them
    /// and announce them once readable. (Mostly sent in-process only; other replicas
    /// learn of events through [`Notice::EventsPositioned`].)
    EventsAppended,
    /// Events became readable: event streams everywhere should read the table.
    EventsPositioned,
    /// An API key was revoked or deleted: replicas drop it from their key caches.
    /// Sent by a database trigger (PostgreSQL), whatever revoked the key.
    ApiKeyRevoked {
        /// The key's id.
        key: Uuid,
    },
    /// The notification connection was re-established; notices may have been lost,
    /// so everyone should re-read.
    Resync,
}

impl Notice {
    /// The PostgreSQL NOTIFY channel careflow uses.
    pub const CHANNEL: &'static str = "careflow";

    /// The NOTIFY payload.
    pub fn to_payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a NOTIFY payload; unknown payloads (from a newer build) are ignored.
    pub fn from_payload(payload: &str) -> Option<Self> {
        serde_json::from_str(payload).ok()
    }
}
