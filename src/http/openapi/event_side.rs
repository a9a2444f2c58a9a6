//! The operations around the event log: sending events, the event functions they
//! trigger, stream tokens, a run's timeline, the access log and erasures. Schemas of
//! bodies these handlers build as JSON are here; the API tests validate the answers
//! against them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use crate::auth::CredentialKind;
use crate::auth::stream_token::StreamFilters;
use crate::engine::timeline::{Span, SpanKind, StepTimeline, Timeline};
use crate::engine::{CancelOn, Concurrency, Debounce, EventMatch, FunctionSpec, Limit, Trigger};
use crate::http::{audit, erasure, functions, stream_tokens, timeline};
use crate::store::RunId;

/// The event-side operations and their schemas.
#[derive(OpenApi)]
#[openapi(
    paths(
        functions::send,
        functions::list,
        stream_tokens::issue,
        timeline::get,
        audit::list,
        erasure::list,
        erasure::create,
        erasure::delete_run,
    ),
    components(schemas(
        IncomingEvent, IncomingEvents, EventsAccepted, EventReceipt, StartedRun, SkippedFunction, functions::FunctionView,
        functions::FunctionList, FunctionSpec, Trigger, CancelOn, Concurrency, Debounce, Limit,
        EventMatch, StreamFilters, StreamToken, Timeline, StepTimeline, Span, SpanKind,
        audit::AccessView, AccessLogPage, CredentialKind, PurgeRequest, Purge, PurgeSelector,
        SelectorKind, PurgePage,
    )),
    tags(
        (name = "functions", description = "Event functions: workflows that events start and cancel."),
        (name = "stream-tokens", description = "Short-lived tokens that open the event stream from browsers."),
        (name = "audit", description = "The access log of reads of patient-bearing records."),
        (name = "purges", description = "Erasure of a tenant's data on request."),
    )
)]
pub struct EventSide;

/// An event sent to `POST /v1/events` (alone, or in a batch of 1-100).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingEvent {
    /// Event name, e.g. `task/created`.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The event's payload; triggers and waits match on it.
    pub data: BTreeMap<String, Value>,
    /// Client id: a repeat within the tenant for 24 hours is a duplicate and triggers
    /// nothing.
    #[schema(min_length = 1, max_length = 200)]
    pub id: Option<String>,
    /// When it happened: epoch milliseconds or RFC 3339; a future time (within
    /// `engine.max_schedule_ahead`) delays the runs it triggers.
    #[schema(value_type = Option<Object>)]
    pub ts: Option<Value>,
    /// The client's schema version; ignored.
    pub v: Option<Value>,
}

/// The body of `POST /v1/events`: one event, or a batch of 1-100. Written by hand
/// because the derive cannot bound the length of an untagged variant's array.
pub struct IncomingEvents;

impl utoipa::PartialSchema for IncomingEvents {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder};
        use utoipa::openapi::{Ref, RefOr};
        let one = || RefOr::Ref(Ref::from_schema_name("IncomingEvent"));
        OneOfBuilder::new()
            .description(Some("One event, or a batch of 1-100."))
            .item(one())
            .item(
                ArrayBuilder::new()
                    .items(one())
                    .min_items(Some(1))
                    .max_items(Some(100)),
            )
            .into()
    }
}

impl ToSchema for IncomingEvents {}

/// What became of one sent event.
#[derive(Serialize, ToSchema)]
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

/// A run an event started.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartedRun {
    /// The run.
    pub run_id: RunId,
    /// The function (its workflow's name).
    pub function: String,
    /// The event that started it.
    pub event_id: Uuid,
}

/// A function an event triggered that started no run.
#[derive(Serialize, ToSchema)]
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

/// `202` of `POST /v1/events`.
#[derive(Serialize, ToSchema)]
pub struct EventsAccepted {
    /// One per sent event, in order.
    pub events: Vec<EventReceipt>,
    /// Runs the events started, once routed (waits up to 5 s).
    pub runs: Vec<StartedRun>,
    /// Functions that skipped an event, once routed.
    pub skipped: Vec<SkippedFunction>,
}

/// `201` of `POST /v1/stream-tokens`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamToken {
    /// `cfs_...`, signed; opens streams until `expiresAt`.
    pub token: String,
    /// When it stops opening streams (`events.stream_token_ttl` from now).
    pub expires_at: DateTime<Utc>,
    /// The filters streams opened with it are confined to.
    pub filters: StreamFilters,
    /// `/v1/events/stream?token=...`.
    pub stream_url: String,
}

/// `GET /v1/audit`: a page of the access log, oldest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogPage {
    /// The entries.
    pub entries: Vec<audit::AccessView>,
    /// `after` of the next page; `null` when this page is empty.
    #[schema(required = true)]
    pub next_after: Option<String>,
}

/// `POST /v1/purges`: exactly one of the two members.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurgeRequest {
    /// Erase the runs with this correlation id and the events carrying it.
    #[schema(min_length = 1, max_length = 200)]
    pub correlation_id: Option<String>,
    /// Erase everything about this patient (the `patientId` the care workflows and
    /// encounters use).
    #[schema(min_length = 1, max_length = 200)]
    pub patient_reference: Option<String>,
}

/// What a purge selected.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SelectorKind {
    /// One run (`DELETE /v1/runs/{id}`).
    Run,
    /// A correlation id.
    CorrelationId,
    /// A patient.
    PatientReference,
}

/// A purge's selector, never its value.
#[derive(Serialize, ToSchema)]
pub struct PurgeSelector {
    /// What was selected.
    pub kind: SelectorKind,
    /// `sha256:` and the hex SHA-256 of tenant id, kind and value, each followed by a
    /// line feed.
    #[schema(pattern = "^sha256:[0-9a-f]{64}$")]
    pub hash: String,
}

/// The record of an erasure.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Purge {
    /// Id.
    pub purge_id: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Who: `apikey:<key id>` or the JWT's subject.
    pub credential: String,
    /// The kind of credential.
    pub credential_kind: CredentialKind,
    /// What was selected.
    pub selector: PurgeSelector,
    /// Records erased by kind (`runs`, `steps`, `events`, `dischargeCases`, `tasks`,
    /// `notifications`, ...); kinds with none are left out.
    pub erased: BTreeMap<String, u64>,
}

/// `GET /v1/purges`: a page of purges, newest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PurgePage {
    /// The purges.
    pub purges: Vec<Purge>,
    /// `cursor` of the next page; `null` on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<Uuid>,
}
