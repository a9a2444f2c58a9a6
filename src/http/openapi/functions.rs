//! The event functions area: sending events and listing the functions they
//! trigger (built-in ones and the calling tenant's own workflows' triggers).

use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::super::functions;

/// The operations of the area.
#[derive(OpenApi)]
#[openapi(
    paths(functions::send, functions::list),
    components(schemas(EventsAccepted, FunctionList)),
    tags((name = "functions", description = "Events that start, cancel and wake runs, and the functions they trigger."))
)]
pub struct Area;

/// What became of one sent event.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventReceiptBody {
    /// The client id given, if any.
    pub id: Option<String>,
    /// The event's id.
    pub event_id: Uuid,
    /// The event's name.
    pub name: String,
    /// True when the client id was seen within a day: nothing was appended.
    pub duplicate: bool,
}

/// A run an event started.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartedRunBody {
    /// The run.
    pub run_id: Uuid,
    /// The function (workflow) it runs.
    pub function: String,
    /// The event that started it.
    pub event_id: String,
}

/// A function an event triggered that started no run.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedBody {
    /// The function (workflow).
    pub function: String,
    /// The event.
    pub event_id: Uuid,
    /// `rateLimit` (the function's rate limit was reached) or `admission` (the
    /// queue refused the run).
    pub reason: String,
}

/// `POST /v1/events`: the events' receipts, and what they started once routed
/// (the answer waits up to 5 s for the router).
#[derive(Serialize, ToSchema)]
pub struct EventsAccepted {
    /// One per event sent, in order.
    pub events: Vec<EventReceiptBody>,
    /// The runs the events started.
    pub runs: Vec<StartedRunBody>,
    /// Functions that skipped an event.
    pub skipped: Vec<SkippedBody>,
}

/// `GET /v1/functions`.
#[derive(Serialize, ToSchema)]
pub struct FunctionList {
    /// Each function: `name`, `trigger` `{event, matching?}`, `builtIn`, `steps`,
    /// and its `cancelOn`, `concurrency`, `idempotency`, `debounce` (period in
    /// ms), `rateLimit` and `throttle` (`{limit, period in ms, key?}`) when set.
    pub functions: Vec<Value>,
}
