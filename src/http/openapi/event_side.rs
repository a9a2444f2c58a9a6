//! The operations around the event log: sending events, the event functions they
//! trigger, stream tokens, a run's timeline, the access log and erasures. The
//! answers' schemas are the handlers' own types; the request bodies, which the
//! handlers read as JSON member by member, are described here.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

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
