//! The limits the event router applies to a function before starting its run: a
//! rate limit (extra events start nothing and are recorded as skipped) and a
//! throttle (extra runs start later), counted in the store so every replica sees
//! the same numbers; and the record of a run the queue refused. A skip is
//! reported once as a `function.skipped` event and kept against the event, so the
//! sender sees it in the answer to `POST /v1/events`.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::functions::{FunctionSpec, Limit};
use super::{EngineResult, Inner};
use crate::store::{EventRow, LimitDecision, LimitKind, LimitRequest, NewEvent};

/// The event type that reports an event a function did not start a run for.
pub const FUNCTION_SKIPPED: &str = "function.skipped";

fn request<'a>(
    e: &'a EventRow,
    f: &'a FunctionSpec,
    kind: LimitKind,
    l: &Limit,
    key: &'a str,
    at: DateTime<Utc>,
) -> LimitRequest<'a> {
    LimitRequest {
        tenant: &e.tenant_id,
        function: &f.workflow,
        kind,
        event_id: e.event_id,
        key,
        limit: l.limit,
        period: ChronoDuration::from_std(l.period).unwrap_or(ChronoDuration::MAX),
        at,
    }
}

/// True when the function's rate limit skips this event (recorded the first time).
pub(super) async fn rate_limited(
    inner: &Inner,
    e: &EventRow,
    f: &FunctionSpec,
    event: &serde_json::Value,
    now: DateTime<Utc>,
) -> EngineResult<bool> {
    let Some(l) = &f.rate_limit else {
        return Ok(false);
    };
    let key = l.key_value(event);
    let req = request(e, f, LimitKind::RateLimit, l, &key, now);
    match inner.store.take_trigger_slot(&req).await? {
        LimitDecision::Start(_) => Ok(false),
        LimitDecision::Skip { first } => {
            if first {
                report_skip(inner, e, f, LimitKind::RateLimit, now).await?;
            }
            Ok(true)
        }
    }
}

/// When the function's run may start under its throttle, given the earliest time
/// it could start otherwise; `earliest` itself without a throttle.
pub(super) async fn throttled_start(
    inner: &Inner,
    e: &EventRow,
    f: &FunctionSpec,
    event: &serde_json::Value,
    earliest: DateTime<Utc>,
) -> EngineResult<DateTime<Utc>> {
    let Some(l) = &f.throttle else {
        return Ok(earliest);
    };
    let key = l.key_value(event);
    let req = request(e, f, LimitKind::Throttle, l, &key, earliest);
    match inner.store.take_trigger_slot(&req).await? {
        LimitDecision::Start(at) => Ok(at.max(earliest)),
        // A throttle never skips; keep the run rather than lose it.
        LimitDecision::Skip { .. } => Ok(earliest),
    }
}

/// Records that the queue refused the run `e` would start for `f`.
pub(super) async fn refused(
    inner: &Inner,
    e: &EventRow,
    f: &FunctionSpec,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    if inner
        .store
        .record_trigger_refusal(&e.tenant_id, &f.workflow, e.event_id, now)
        .await?
    {
        report_skip(inner, e, f, LimitKind::Admission, now).await?;
    }
    Ok(())
}

/// Appends the `function.skipped` event. It names the function, the event and the
/// reason only: key values may be patient data.
async fn report_skip(
    inner: &Inner,
    e: &EventRow,
    f: &FunctionSpec,
    reason: LimitKind,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    let skipped = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: FUNCTION_SKIPPED.into(),
        correlation_id: Some(
            e.correlation_id
                .clone()
                .unwrap_or_else(|| e.event_id.to_string()),
        ),
        run_id: None,
        workflow: Some(f.workflow.clone()),
        source: super::events::SOURCE.into(),
        data: json!({
            "function": f.workflow,
            "eventId": e.event_id,
            "event": e.event_type,
            "reason": reason.as_str(),
        }),
        created_at: now,
    };
    inner
        .store
        .append_events(&e.tenant_id, std::slice::from_ref(&skipped))
        .await?;
    Ok(())
}
