//! The ticker every replica runs: it claims due schedules, fires their ticks and
//! advances them. Claims are leases (`engine.lease_ttl`), so a replica that dies
//! holding one delays the tick by at most that long, and the tick's idempotency
//! key keeps the takeover from firing it twice.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;
use serde_json::json;
use uuid::Uuid;

use super::super::{EngineError, Inner, Priority, RunOptions, Scheduling, Submission, Submitted};
use super::{CatchUp, CronClock, CronTarget, Overlap, correlation_of, target_of, tick_key};
use crate::store::{CronScheduleRow, NewEvent, RunId, TickDone};

/// Schedules claimed per pass, at most.
const BATCH: i64 = 32;

pub(in crate::engine) async fn ticker_loop(inner: Arc<Inner>) {
    let every = inner.settings.cron_interval;
    loop {
        tokio::select! {
            _ = inner.shutdown.cancelled() => return,
            // A moved clock (tests) or a new schedule looks at once.
            _ = inner.tick.notified() => {}
            _ = tokio::time::sleep(every) => {}
        }
        // A full batch means more may be due.
        while pass(&inner).await >= BATCH as usize {}
    }
}

/// Claims and fires the due schedules once; returns how many it claimed.
async fn pass(inner: &Arc<Inner>) -> usize {
    let now = inner.clock.now();
    let until = now + ChronoDuration::from_std(inner.settings.lease_ttl).unwrap_or_default();
    let due = match inner
        .store
        .claim_due_cron_schedules(&inner.owner, now, until, BATCH)
        .await
    {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "claiming due cron schedules failed");
            return 0;
        }
    };
    let claimed = due.len();
    for row in due {
        handle(inner, row).await;
    }
    claimed
}

/// What firing a tick did, as recorded on the schedule.
enum Fired {
    Started(RunId),
    Emitted,
    SkippedOverlap,
    /// The target can no longer be started (its workflow left this build).
    Failed,
}

#[tracing::instrument(skip_all, fields(cron.id = %row.schedule_id))]
async fn handle(inner: &Arc<Inner>, row: CronScheduleRow) {
    let (tenant, id) = (row.tenant_id.clone(), row.schedule_id);
    let Some(due) = row.next_tick_at else {
        return;
    };
    let Ok(clock) = CronClock::parse(&row.expression, &row.time_zone) else {
        // Validated when stored; a later version may reject what an earlier one took.
        tracing::error!("a stored cron expression no longer parses; the schedule is held");
        return;
    };
    let now = inner.clock.now();
    let grace = ChronoDuration::from_std(inner.settings.cron_grace).unwrap_or_default();
    let catch_up = if row.catch_up == CatchUp::RunOnce.as_str() {
        CatchUp::RunOnce
    } else {
        CatchUp::Skip
    };
    let plan = clock.plan(due, now, catch_up, grace);
    let fired = match plan.fire {
        None => {
            tracing::info!("missed cron ticks skipped");
            Ok(None)
        }
        Some(tick) => fire(inner, &row, tick).await.map(Some),
    };
    let fired = match fired {
        Ok(f) => f,
        Err(e) => {
            // Nothing recorded: the tick stays due and is tried again.
            tracing::warn!(error = %e, "firing a cron tick failed; it will be retried");
            if let Err(e) = inner
                .store
                .release_cron_schedule(&tenant, id, &inner.owner)
                .await
            {
                tracing::warn!(error = %e, "releasing a cron schedule failed; its lease will expire");
            }
            return;
        }
    };
    let (run_id, outcome) = match fired {
        None => (None, "skippedMissed"),
        Some(Fired::Started(run)) => (Some(run), "started"),
        Some(Fired::Emitted) => (None, "emitted"),
        Some(Fired::SkippedOverlap) => (None, "skippedOverlap"),
        Some(Fired::Failed) => (None, "failed"),
    };
    let Some(next) = plan.next else {
        tracing::warn!("the cron expression has no further tick; the schedule is paused");
        return pause_exhausted(inner, &row).await;
    };
    let done = TickDone {
        expected_next: due,
        next_tick_at: next,
        tick: plan.handled,
        run_id,
        outcome: outcome.into(),
    };
    match inner
        .store
        .finish_cron_tick(&tenant, id, &inner.owner, &done)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            // Edited, paused or deleted meanwhile: the edit decides what comes next.
            let _ = inner
                .store
                .release_cron_schedule(&tenant, id, &inner.owner)
                .await;
        }
        Err(e) => {
            // The lease expires and the tick is handled again; its key keeps any
            // run it started from starting twice.
            tracing::warn!(error = %e, "recording a cron tick failed");
        }
    }
}

/// Fires one tick of a schedule. An error means nothing durable may be assumed
/// and the tick must be tried again; every other outcome is final for the tick.
async fn fire(
    inner: &Arc<Inner>,
    row: &CronScheduleRow,
    tick: chrono::DateTime<chrono::Utc>,
) -> Result<Fired, EngineError> {
    let key = tick_key(row.schedule_id, tick);
    let tenant = &row.tenant_id;
    match target_of(row) {
        CronTarget::Event { name, data } => {
            // The remembered id is the tick's key, so a takeover emits nothing
            // twice. A crash between remembering and appending loses that one event:
            // the two are separate writes.
            let event_id = Uuid::now_v7();
            let fresh = inner
                .store
                .remember_event_ids(tenant, &[(key, event_id)], inner.clock.now())
                .await?;
            if fresh.first().copied().unwrap_or(false) {
                let event = NewEvent {
                    event_id,
                    event_type: name,
                    correlation_id: Some(correlation_of(row.schedule_id)),
                    run_id: None,
                    workflow: None,
                    source: "cron".into(),
                    data: json!({"schedule": row.schedule_id, "tick": tick, "data": data}),
                    created_at: inner.clock.now(),
                };
                inner.store.append_events(tenant, &[event]).await?;
            }
            Ok(Fired::Emitted)
        }
        CronTarget::Workflow { name, input } => {
            // A run with this tick's key means an earlier holder fired it already.
            if let Some((run, ..)) = inner
                .store
                .runs_by_keys(tenant, std::slice::from_ref(&key))
                .await?
                .into_iter()
                .next()
            {
                return Ok(Fired::Started(run));
            }
            let overlap = match row.overlap.as_str() {
                "queue" => Overlap::Queue,
                "allow" => Overlap::Allow,
                _ => Overlap::Skip,
            };
            if overlap == Overlap::Skip
                && let Some(last) = row.last_run_id
                && let Some(run) = inner.store.get_run(tenant, last).await?
                && !run.status.is_final()
            {
                return Ok(Fired::SkippedOverlap);
            }
            let Some(def) = inner.registry.get(&name) else {
                tracing::error!(workflow = %name, "a cron schedule names a workflow this build does not know");
                return Ok(Fired::Failed);
            };
            let submission = Submission {
                tenant: tenant.clone(),
                workflow: def.name.clone(),
                input,
                options: RunOptions::default(),
                idempotency_key: Some(key),
                fingerprint: None,
                correlation_id: Some(correlation_of(row.schedule_id)),
            };
            let scheduling = Scheduling {
                not_before: None,
                // One run of the schedule at a time; later ticks wait their turn.
                concurrency: (overlap == Overlap::Queue)
                    .then(|| (correlation_of(row.schedule_id), 1)),
                // A tick is the service's own promise: refusing it would lose it.
                preadmitted: true,
                reused: Vec::new(),
                priority: Priority::DEFAULT,
                input_read: false,
            };
            let engine = super::super::Engine {
                inner: inner.clone(),
            };
            match engine
                .submit_scheduled(submission, std::time::Duration::ZERO, scheduling)
                .await
            {
                Ok(Submitted::Run { run_id, .. }) => Ok(Fired::Started(run_id)),
                Ok(Submitted::DryRun(_)) => Ok(Fired::Failed),
                // The workflow refuses the schedule's input: trying the tick again
                // cannot change that, so the tick is recorded as failed.
                Err(super::super::EngineError::Invalid(_)) => Ok(Fired::Failed),
                Err(e) => Err(e),
            }
        }
    }
}

async fn pause_exhausted(inner: &Arc<Inner>, row: &CronScheduleRow) {
    let mut row = row.clone();
    row.paused = true;
    row.next_tick_at = None;
    row.updated_at = inner.clock.now();
    if let Err(e) = inner.store.update_cron_schedule(&row).await {
        tracing::warn!(error = %e, "pausing an exhausted cron schedule failed");
    }
}
