//! The answer of `POST /v1/events`: a receipt per sent event, the runs they started
//! and the functions that skipped them, as the API description names them.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::engine::{EventReceipt as Receipt, SentEvents, StartedRun as Started};
use crate::store::{RunId, SkippedTrigger};

/// What became of one sent event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventReceipt {
    /// The client id given.
    #[schema(required = true)]
    pub id: Option<String>,
    /// The stored event's id.
    pub event_id: Uuid,
    /// Its name.
    pub name: String,
    /// A repeat of a client id: stored before, triggers nothing now.
    pub duplicate: bool,
}

impl From<&Receipt> for EventReceipt {
    fn from(r: &Receipt) -> Self {
        Self {
            id: r.client_id.clone(),
            event_id: r.event_id,
            name: r.name.clone(),
            duplicate: r.duplicate,
        }
    }
}

/// A run an event started.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartedRun {
    /// The run.
    pub run_id: RunId,
    /// The function (its workflow's name).
    pub function: String,
    /// The event that started it.
    #[schema(format = Uuid)]
    pub event_id: String,
}

impl From<&Started> for StartedRun {
    fn from(r: &Started) -> Self {
        Self {
            run_id: r.run_id,
            function: r.function.clone(),
            event_id: r.event_id.clone(),
        }
    }
}

/// A function an event triggered that started no run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedFunction {
    /// The function (its workflow's name).
    pub function: String,
    /// The event.
    pub event_id: Uuid,
    /// Why: `rate_limit` (the function's rate limit was reached) or `admission`
    /// (the queue refused the run).
    pub reason: String,
}

impl From<&SkippedTrigger> for SkippedFunction {
    fn from(s: &SkippedTrigger) -> Self {
        Self {
            function: s.function.clone(),
            event_id: s.event_id,
            reason: s.reason.clone(),
        }
    }
}

/// `202` of `POST /v1/events`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsAccepted {
    /// One per sent event, in order.
    pub events: Vec<EventReceipt>,
    /// Runs the events started, once routed (waits up to 5 s).
    pub runs: Vec<StartedRun>,
    /// Functions that skipped an event, once routed.
    pub skipped: Vec<SkippedFunction>,
}

impl From<&SentEvents> for EventsAccepted {
    fn from(sent: &SentEvents) -> Self {
        Self {
            events: sent.receipts.iter().map(EventReceipt::from).collect(),
            runs: sent.runs.iter().map(StartedRun::from).collect(),
            skipped: sent.skipped.iter().map(SkippedFunction::from).collect(),
        }
    }
}
