//! The event router: reads committed events in position order and applies them to
//! event functions: wakes steps waiting for them, cancels runs they cancel, and
//! starts the functions they trigger. Of the engine's own events it applies only
//! `run.cancelled`, to the cancelled run's workflow hook. One replica at a time routes (a named lease in
//! the store carries the position reached), so every event is routed in order; after
//! a crash the next holder repeats what was routed since the position was last
//! written, and every effect is idempotent (a run started by an event is keyed by the
//! event's id).

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::functions::{FunctionSpec, key_of};
use super::step::EventMatch;
use super::submit::{Scheduling, Submission};
use super::trigger_limits;
use super::{Engine, EngineError, Inner, RunOptions};
use crate::store::{EventRow, Notice, RunStatus};

/// The lease under which one replica routes events.
pub const ROUTER_LEASE: &str = "event-router";

const BATCH: i64 = 200;

/// The event as functions see it (`name`, `data`, `id`, `ts` in milliseconds).
pub fn event_json(e: &EventRow) -> Value {
    json!({
        "name": e.event_type,
        "data": e.data.0,
        "id": e.event_id,
        "ts": e.created_at.timestamp_millis(),
    })
}

/// The idempotency key of the run an event starts for a function.
pub fn trigger_key(event_id: uuid::Uuid) -> String {
    format!("evt:{event_id}")
}

/// How long the router lease lasts after each renewal.
const LEASE_TTL: ChronoDuration = ChronoDuration::seconds(30);

/// What this replica knows of the router lease between passes. The lease is renewed
/// only once half its life has passed, and the position reached is written with it,
/// or at once after a batch holding events from outside the engine (those whose
/// routing has effects). A holder that dies therefore repeats at most half a lease's
/// worth of engine events, which routing skips.
#[derive(Default)]
struct Held {
    /// When this replica last wrote the lease; `None` when it does not hold it.
    renewed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Routed up to here.
    position: i64,
    /// The position the store has.
    stored: i64,
}

pub(super) async fn router_loop(inner: Arc<Inner>) {
    let mut notices = inner.store.subscribe();
    let mut held = Held::default();
    loop {
        tokio::select! {
            _ = inner.stopped.cancelled() => return hand_over(&inner, &mut held).await,
            _ = inner.shutdown.cancelled() => return hand_over(&inner, &mut held).await,
            n = notices.recv() => match n {
                Ok(Notice::EventsPositioned | Notice::Resync) | Err(RecvError::Lagged(_)) => {}
                Ok(_) => continue,
                Err(RecvError::Closed) => return,
            },
            _ = inner.route_now.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        while let Ok(_n) = notices.try_recv() {}
        match route_pending(&inner, &mut held).await {
            Ok(()) if held.renewed_at.is_some() => inner.idle.routed_to(held.position),
            Ok(()) => inner.idle.routed_elsewhere(),
            Err(e) => {
                // Start over from what the store holds.
                held = Held::default();
                tracing::warn!(error = %e, "routing events failed; will retry");
            }
        }
    }
}

async fn route_pending(inner: &Arc<Inner>, held: &mut Held) -> Result<(), EngineError> {
    let engine = Engine {
        inner: inner.clone(),
    };
    loop {
        let now = inner.clock.now();
        let fresh = held.renewed_at.is_some_and(|at| now - at < LEASE_TTL / 2);
        if !fresh {
            let Some(stored) = inner
                .store
                .hold_lease(ROUTER_LEASE, &inner.owner, now, now + LEASE_TTL)
                .await?
            else {
                *held = Held::default();
                return Ok(());
            };
            // Still the holder: what was routed since the last write counts too.
            let position = if held.renewed_at.is_some() {
                held.position.max(stored)
            } else {
                stored
            };
            *held = Held {
                renewed_at: Some(now),
                position,
                stored,
            };
            if !persist(inner, held).await? {
                return Ok(());
            }
        }
        let batch = inner.store.events_after(held.position, BATCH).await?;
        let Some(last) = batch.last().map(|e| e.position) else {
            return Ok(());
        };
        let mut effects = false;
        for e in &batch {
            if e.source != super::events::SOURCE {
                route(&engine, e).await?;
                effects = true;
            } else if e.event_type == super::RUN_CANCELLED {
                effects |= run_cancelled(&engine, e).await?;
            }
        }
        held.position = last;
        if effects && !persist(inner, held).await? {
            return Ok(());
        }
        inner.idle.routed_to(last);
        inner.routed.notify_waiters();
        if (batch.len() as i64) < BATCH {
            return Ok(());
        }
    }
}

/// Writes the position reached, when the store lags behind it. False when the lease
/// was lost (another replica routes now).
/// On shutdown: writes the position reached and releases the lease, so the
/// replica that takes over routes new events at once instead of after the lease
/// would have expired. A failure only means the lease expires as it would have.
async fn hand_over(inner: &Inner, held: &mut Held) {
    if held.renewed_at.is_none() {
        return;
    }
    let released = match persist(inner, held).await {
        Ok(true) => inner
            .store
            .release_lease(ROUTER_LEASE, &inner.owner, inner.clock.now())
            .await
            .map_err(EngineError::from),
        Ok(false) => return,
        Err(e) => Err(e),
    };
    match released {
        Ok(()) => tracing::info!("released the event router lease"),
        Err(e) => {
            tracing::warn!(error = %e, "could not release the event router lease; it will expire")
        }
    }
}

async fn persist(inner: &Inner, held: &mut Held) -> Result<bool, EngineError> {
    if held.position <= held.stored {
        return Ok(true);
    }
    if inner
        .store
        .advance_lease(ROUTER_LEASE, &inner.owner, held.position)
        .await?
    {
        held.stored = held.position;
        Ok(true)
    } else {
        *held = Held::default();
        Ok(false)
    }
}

/// Lets the cancelled run's workflow bring its records in step. True when the
/// workflow has a hook (an effect whose position must be kept).
async fn run_cancelled(engine: &Engine, e: &EventRow) -> Result<bool, EngineError> {
    let (Some(run), Some(workflow)) = (e.run_id, e.workflow.as_deref()) else {
        return Ok(false);
    };
    let hooked = engine
        .registry()
        .get(workflow)
        .is_some_and(|d| d.on_cancel.is_some());
    if hooked {
        engine
            .run_cancel_hook(&e.tenant_id, run, workflow)
            .await
            .map_err(EngineError::InvalidState)?;
    }
    Ok(hooked)
}

async fn route(engine: &Engine, e: &EventRow) -> Result<(), EngineError> {
    let inner = &engine.inner;
    let event = event_json(e);
    let now = inner.clock.now();

    // Steps waiting for this event, that started waiting before it arrived.
    for waiter in inner
        .store
        .event_waiters(&e.tenant_id, &e.event_type)
        .await?
    {
        let since = waiter
            .wait
            .get("since")
            .and_then(|s| serde_json::from_value::<chrono::DateTime<chrono::Utc>>(s.clone()).ok());
        if since.is_some_and(|s| e.created_at < s) {
            continue;
        }
        let matching: Option<EventMatch> = waiter
            .wait
            .get("match")
            .and_then(|m| serde_json::from_value(m.clone()).ok());
        if matching.is_some_and(|m| !m.matches(&event)) {
            continue;
        }
        if inner
            .store
            .resolve_waiter(&e.tenant_id, waiter.run_id, &waiter.step_name, &event, now)
            .await?
        {
            inner.poke.notify_one();
        }
    }

    let mut functions: Vec<FunctionSpec> = inner.registry.functions().to_vec();
    // Functions past this index are the tenant's own.
    let compiled_in = functions.len();
    // The tenant's own workflows' triggers, at their current versions.
    if let Some(source) = inner.registry.source() {
        functions.extend(source.functions(&e.tenant_id).await?);
    }
    // Cancellations.
    for f in &functions {
        for c in f.cancel_on.iter().filter(|c| c.event == e.event_type) {
            let Some(value) = key_of(&event, &format!("data.{}", c.field)) else {
                continue;
            };
            let runs = inner
                .store
                .runs_with_input(
                    &e.tenant_id,
                    &f.workflow,
                    &["event", "data", &c.field],
                    &value,
                    &[
                        RunStatus::Queued,
                        RunStatus::Running,
                        RunStatus::Sleeping,
                        RunStatus::Waiting,
                    ],
                    None,
                )
                .await?;
            for run in runs {
                match engine.cancel(&e.tenant_id, run).await {
                    Ok(_) | Err(EngineError::InvalidState(_)) | Err(EngineError::NotFound) => {}
                    Err(err) => return Err(err),
                }
            }
        }
    }

    // Starts.
    for (i, f) in functions.iter().enumerate() {
        if !f.triggered_by(&event) {
            continue;
        }
        let tenants = i >= compiled_in;
        let mut input = json!({ "event": event });
        if let Some(path) = &f.idempotency
            && let Some(value) = key_of(&event, path)
        {
            if ran_within_a_day(inner, e, f, &value, now).await? {
                continue;
            }
            input["idempotencyKey"] = json!(value);
        }
        if trigger_limits::rate_limited(inner, e, f, &event, now).await? {
            continue;
        }
        // Events sent to the API were admitted at the door, counting the runs they
        // start: refusing those runs now would lose them. The tenant's own functions
        // started by other events (emitted by runs, cron ticks) meet the queue's
        // bounds here, like a submission, and a refusal is recorded.
        let mut scheduling = Scheduling {
            preadmitted: !tenants || e.source == "api",
            ..Scheduling::default()
        };
        if e.created_at > now {
            scheduling.not_before = Some(e.created_at);
        }
        if let Some(d) = &f.debounce {
            let key = d
                .key
                .as_ref()
                .and_then(|k| key_of(&event, k))
                .unwrap_or_else(|| "_".into());
            input["debounceKey"] = json!(key);
            let due = now + ChronoDuration::from_std(d.period).unwrap_or_default();
            let queued = inner
                .store
                .runs_with_input(
                    &e.tenant_id,
                    &f.workflow,
                    &["debounceKey"],
                    &key,
                    &[RunStatus::Queued],
                    None,
                )
                .await?;
            let mut rescheduled = false;
            for run in queued {
                rescheduled |= inner
                    .store
                    .reschedule_queued(&e.tenant_id, run, &input, due)
                    .await?;
            }
            if rescheduled {
                continue;
            }
            scheduling.not_before = Some(due.max(scheduling.not_before.unwrap_or(due)));
        }
        if f.throttle.is_some() {
            let earliest = scheduling.not_before.unwrap_or(now).max(now);
            let start = trigger_limits::throttled_start(inner, e, f, &event, earliest).await?;
            scheduling.not_before = Some(start);
        }
        if let Some(c) = &f.concurrency
            && let Some(value) = key_of(&event, &c.key)
        {
            scheduling.concurrency = Some((format!("{}:{value}", f.workflow), c.limit as i32));
        }
        let submission = Submission {
            tenant: e.tenant_id.clone(),
            workflow: f.workflow.clone(),
            input,
            options: RunOptions::default(),
            idempotency_key: Some(trigger_key(e.event_id)),
            fingerprint: None,
            correlation_id: e
                .correlation_id
                .clone()
                .or_else(|| Some(e.event_id.to_string())),
        };
        match engine
            .submit_scheduled(submission, Duration::ZERO, scheduling)
            .await
        {
            Ok(_) => {}
            Err(EngineError::Backlogged { .. }) => {
                trigger_limits::refused(inner, e, f, now).await?
            }
            // The workflow refuses the input the event gives it: routing the event
            // again cannot change that, and retrying would hold every later event
            // back. The problems are not logged: they may quote the event's data.
            Err(EngineError::Invalid(_)) => tracing::warn!(
                function = %f.workflow,
                event_id = %e.event_id,
                "the function's workflow refused the event's input; no run started"
            ),
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// True when the function already ran for this idempotency value in the last 24 hours.
async fn ran_within_a_day(
    inner: &Inner,
    e: &EventRow,
    f: &FunctionSpec,
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, EngineError> {
    let all = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Sleeping,
        RunStatus::Waiting,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];
    let earlier = inner
        .store
        .runs_with_input(
            &e.tenant_id,
            &f.workflow,
            &["idempotencyKey"],
            value,
            &all,
            Some(now - ChronoDuration::hours(24)),
        )
        .await?;
    Ok(!earlier.is_empty())
}
