//! The event side area's operations, schemas and tags: apart from the
//! types (`openapi::event_side`), so that handlers naming those types and this list
//! naming the handlers do not import each other.

use utoipa::OpenApi;

use crate::auth::CredentialKind;
use crate::auth::stream_token::StreamFilters;
use crate::engine::timeline::{Span, SpanKind, StepTimeline, Timeline};
use crate::engine::{CancelOn, Concurrency, Debounce, EventMatch, FunctionSpec, Limit, Trigger};
use crate::http::openapi::event_side::{IncomingEvent, IncomingEvents, PurgeRequest};
use crate::http::purge_view as purges;
use crate::http::sent_events as sent;
use crate::http::{audit, erasure, functions, stream_tokens, timeline};

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
        IncomingEvent, IncomingEvents, sent::EventsAccepted, sent::EventReceipt,
        sent::StartedRun, sent::SkippedFunction, functions::FunctionView,
        functions::FunctionList, FunctionSpec, Trigger, CancelOn, Concurrency, Debounce, Limit,
        EventMatch, StreamFilters, stream_tokens::StreamToken, Timeline, StepTimeline, Span,
        SpanKind, audit::AccessView, audit::AccessLogPage, CredentialKind, PurgeRequest,
        purges::Purge, purges::SelectorView, purges::SelectorKind, purges::PurgePage,
    )),
    tags(
        (name = "functions", description = "Event functions: workflows that events start and cancel."),
        (name = "stream-tokens", description = "Short-lived tokens that open the event stream from browsers."),
        (name = "audit", description = "The access log of reads of patient-bearing records."),
        (name = "purges", description = "Erasure of a tenant's data on request."),
    )
)]
pub struct EventSide;
