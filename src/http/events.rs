//! `GET /v1/events/stream` (Server-Sent Events) and `GET /v1/events` (polling).
//!
//! A stream first replays from the table what the client missed (after its
//! `Last-Event-ID`, header or `lastEventId` query), then continues live. The
//! subscription is registered before the replay query, and live events at or below
//! the last replayed position are skipped, so there is no gap and no duplicate.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use crate::auth::Principal;
use crate::auth::stream_token::StreamGrant;
use crate::domain::validation::Problems;
use crate::events::{Delivery, EventView, Subscription};
use crate::store::{EventFilter, EventRow, Store, TenantId};

const REPLAY_PAGE: i64 = 500;

/// Filters and resume point of a stream or a listing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events of this run.
    #[param(format = Uuid)]
    run_id: Option<String>,
    /// Only events with this correlation id.
    correlation_id: Option<String>,
    /// Only events of runs of this workflow.
    workflow: Option<String>,
    /// Only events of this type, e.g. `step.completed`.
    event_type: Option<String>,
    /// Stream only: resume after this event `id` (as the `Last-Event-ID` header).
    #[param(pattern = "^[0-9]+$")]
    last_event_id: Option<String>,
    /// Listing only: events after this `id` (`nextAfter` of the previous page).
    #[param(pattern = "^[0-9]+$")]
    after: Option<String>,
    /// Listing only: page size.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<i64>,
    /// `false`: send every message unnamed (a plain `message` to EventSource, the
    /// type being in the data), since EventSource has no listener for every name.
    named: Option<bool>,
}

fn filter_of(q: &EventQuery, problems: &mut Problems) -> EventFilter {
    let run_id = q.run_id.as_deref().and_then(|r| match r.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            problems.push("/query/runId", "must be a run id");
            None
        }
    });
    EventFilter {
        run_id,
        correlation_id: q.correlation_id.clone(),
        workflow: q.workflow.clone(),
        event_type: q.event_type.clone(),
    }
}

fn position(raw: Option<&str>, pointer: &str, problems: &mut Problems) -> i64 {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(p) if p >= 0 => p,
            _ => {
                problems.push(pointer, "must be an event id this API returned");
                0
            }
        },
    }
}

fn sse_event(e: &EventRow, named: bool) -> Event {
    let view = EventView::from(e);
    let event = Event::default().id(e.position.to_string());
    let event = if named {
        event.event(e.event_type.clone())
    } else {
        event
    };
    event
        .json_data(&view)
        .unwrap_or_else(|_| Event::default().comment("unserializable event"))
}

/// Where a stream is. What it already has is kept out of its buffer by the hub
/// (see [`crate::events::Subscription::skip_through`]), so the live phase hands
/// over whatever the buffer holds.
enum Phase {
    /// Live only: the retry hint, then live.
    Start,
    Replay {
        after: i64,
    },
    Live,
}

struct StreamState {
    phase: Phase,
    store: Arc<dyn Store>,
    tenant: TenantId,
    filter: EventFilter,
    sub: Subscription,
    pending: std::collections::VecDeque<Event>,
    retry: std::time::Duration,
    named: bool,
    stop: CancellationToken,
}

async fn step(mut st: StreamState) -> Option<(Result<Event, Infallible>, StreamState)> {
    loop {
        if let Some(e) = st.pending.pop_front() {
            return Some((Ok(e), st));
        }
        match st.phase {
            Phase::Start => {
                st.phase = Phase::Live;
                return Some((Ok(Event::default().retry(st.retry)), st));
            }
            Phase::Replay { after } => {
                let page = st
                    .store
                    .tenant_events_after(&st.tenant, after, &st.filter, REPLAY_PAGE)
                    .await;
                let page = match page {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(error = %e, "event replay failed; ending the stream");
                        return None;
                    }
                };
                let last = page.last().map(|e| e.position).unwrap_or(after);
                // Whatever the pump handed over meanwhile up to here is in the page.
                st.sub.skip_through(last);
                st.phase = if page.len() as i64 == REPLAY_PAGE {
                    Phase::Replay { after: last }
                } else {
                    Phase::Live
                };
                let named = st.named;
                st.pending.extend(page.iter().map(|e| sse_event(e, named)));
            }
            Phase::Live => {
                let next = tokio::select! {
                    _ = st.stop.cancelled() => return None,
                    d = st.sub.next() => d,
                };
                match next {
                    Delivery::Event(e) => {
                        let ev = sse_event(&e, st.named);
                        return Some((Ok(ev), st));
                    }
                    Delivery::Lagged {
                        missed,
                        resume_from,
                    } => {
                        let data = json!({
                            "eventType": "lagged",
                            "missed": missed,
                            "resumeFrom": resume_from.to_string(),
                        });
                        let ev = Event::default();
                        let ev = if st.named { ev.event("lagged") } else { ev };
                        let ev = ev.json_data(data).unwrap_or_else(|_| Event::default());
                        return Some((Ok(ev), st));
                    }
                }
            }
        }
    }
}

/// `GET /v1/events/stream?runId=&correlationId=&workflow=&eventType=&lastEventId=&named=`,
/// with a bearer header or `&token=` (a stream token, whose filters it keeps).
#[utoipa::path(get, path = "/v1/events/stream", operation_id = "streamEvents", tag = "events",
    security(("bearer" = []), ("streamToken" = [])),
    params(EventQuery,
        ("token" = Option<String>, Query, description = "A stream token from `POST /v1/stream-tokens`, instead of the Authorization header; a query filter that differs from the token's is 422."),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event `id`.")),
    responses((status = 200,
        description = "Server-Sent Events: replays what was missed after `Last-Event-ID`, then live; without it, live from the first event not yet readable when the stream opened. Each message has `id:` (the event's position), `event:` (its `eventType`, unless `named=false`) and `data:` (a `StreamMessage`); a `lagged` message tells a slow client how many events it lost and where to resume.",
        content_type = "text/event-stream", body = super::openapi::bodies::StreamMessage)))]
pub async fn stream(
    State(state): State<AppState>,
    principal: Principal,
    grant: Option<Extension<StreamGrant>>,
    Query(q): Query<EventQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let mut problems = Problems::new();
    let filter = filter_of(&q, &mut problems);
    let filter = super::stream_tokens::confine(grant.as_ref(), filter, &mut problems);
    let header_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let resume = header_id.or(q.last_event_id.as_deref());
    let after = position(resume, "/headers/last-event-id", &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    // Subscribe first: whatever commits after the replay query is buffered here.
    let sub = state
        .hub
        .subscribe(principal.tenant.clone(), filter.clone());
    // Live only: what was readable before the response is not news, however late
    // this replica's pump hands it over (a pump nobody listened to moves past
    // events instead of reading them, and catches up when a stream subscribes).
    // Resuming: the client has everything up to `after` already.
    let opened_at = match resume {
        Some(_) => 0,
        None => match state.store.last_event_position().await {
            Ok(p) => p,
            // The stream still opens (a browser does not retry a refused one); the
            // pump may then hand it a few events from just before.
            Err(e) => {
                tracing::warn!(error = %e, "reading the last event position failed");
                0
            }
        },
    };
    sub.skip_through(opened_at.max(after));
    let mut st = StreamState {
        phase: Phase::Start,
        store: state.store.clone(),
        tenant: principal.tenant,
        filter,
        sub,
        pending: Default::default(),
        retry: state.settings.events.retry_hint,
        named: q.named.unwrap_or(true),
        stop: state.shutdown.clone(),
    };
    if resume.is_some() {
        // Send the retry hint, then replay.
        st.pending.push_back(Event::default().retry(st.retry));
        st.phase = Phase::Replay { after };
    }
    let events: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(futures::stream::unfold(st, step));
    let keep_alive = KeepAlive::new()
        .interval(state.settings.events.keep_alive)
        .text("keep-alive");
    let mut response = Sse::new(events).keep_alive(keep_alive).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// `GET /v1/events?after=&limit=&runId=&...`: stored events in order, for polling
/// clients and audits.
#[utoipa::path(get, path = "/v1/events", operation_id = "listEvents", tag = "events",
    params(EventQuery),
    responses((status = 200, description = "Stored events in commit order.", body = super::openapi::bodies::EventPage)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let mut problems = Problems::new();
    let filter = filter_of(&q, &mut problems);
    let after = position(q.after.as_deref(), "/query/after", &mut problems);
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        problems.push("/query/limit", "must be between 1 and 1000");
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let rows = state
        .store
        .tenant_events_after(&principal.tenant, after, &filter, limit)
        .await?;
    let next = rows.last().map(|e| e.position.to_string());
    let events: Vec<EventView> = rows.iter().map(EventView::from).collect();
    Ok(Json(json!({"events": events, "nextAfter": next})))
}
