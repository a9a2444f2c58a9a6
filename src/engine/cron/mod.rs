//! Cron schedules: a workflow to start (or an event to emit) at every tick of a
//! cron expression read in a time zone, with overlap and catch-up policies.
//!
//! Every replica runs a ticker ([`ticker`]) that claims due schedules through a
//! short lease, fires the tick and advances the schedule. A tick's run carries the
//! idempotency key `cron:<schedule id>:<tick>`: a replica that dies after starting
//! the run and before advancing the schedule leaves the tick due, and whoever
//! takes it over finds that run instead of starting a second one.

mod spec;
pub(super) mod ticker;

use chrono::Utc;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

pub use spec::{CatchUp, CronClock, CronSpec, CronTarget, Overlap, TickPlan};

use super::{Engine, EngineResult};
use crate::store::{CronScheduleRow, TenantId};

/// The idempotency key (and event id) of a schedule's tick.
pub fn tick_key(schedule: Uuid, tick: chrono::DateTime<Utc>) -> String {
    format!(
        "cron:{schedule}:{}",
        tick.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

/// The correlation id of every run a schedule starts, to list them.
pub fn correlation_of(schedule: Uuid) -> String {
    format!("cron:{schedule}")
}

impl Engine {
    /// Stores a new schedule of the tenant; its first tick is the first after now.
    /// A name the tenant already uses is a `Conflict`.
    pub async fn create_cron(
        &self,
        tenant: &TenantId,
        spec: CronSpec,
    ) -> EngineResult<CronScheduleRow> {
        let now = self.inner.clock.now();
        let row = row_of(tenant, Uuid::now_v7(), &spec, now, now);
        self.inner.store.insert_cron_schedule(&row).await?;
        self.inner.tick.notify_waiters();
        Ok(row)
    }

    /// Replaces a schedule with `spec`; the next tick is recomputed from now (the
    /// last tick's record stays). `None` when the tenant has no such schedule.
    pub async fn replace_cron(
        &self,
        tenant: &TenantId,
        id: Uuid,
        spec: CronSpec,
    ) -> EngineResult<Option<CronScheduleRow>> {
        let store = &self.inner.store;
        let Some(current) = store.get_cron_schedule(tenant, id).await? else {
            return Ok(None);
        };
        let now = self.inner.clock.now();
        let row = row_of(tenant, id, &spec, current.created_at, now);
        if !store.update_cron_schedule(&row).await? {
            return Ok(None);
        }
        store
            .get_cron_schedule(tenant, id)
            .await
            .map_err(Into::into)
    }

    /// Pauses or resumes a schedule. A resumed schedule goes on from its next tick
    /// after now: ticks that passed while it was paused do not fire.
    pub async fn set_cron_paused(
        &self,
        tenant: &TenantId,
        id: Uuid,
        paused: bool,
    ) -> EngineResult<Option<CronScheduleRow>> {
        let store = &self.inner.store;
        let Some(mut row) = store.get_cron_schedule(tenant, id).await? else {
            return Ok(None);
        };
        if row.paused == paused {
            return Ok(Some(row));
        }
        let now = self.inner.clock.now();
        row.paused = paused;
        row.updated_at = now;
        row.next_tick_at = if paused {
            None
        } else {
            CronClock::parse(&row.expression, &row.time_zone)
                .ok()
                .and_then(|c| c.next_after(now))
        };
        if !store.update_cron_schedule(&row).await? {
            return Ok(None);
        }
        self.inner.tick.notify_waiters();
        store
            .get_cron_schedule(tenant, id)
            .await
            .map_err(Into::into)
    }
}

fn row_of(
    tenant: &TenantId,
    id: Uuid,
    spec: &CronSpec,
    created_at: chrono::DateTime<Utc>,
    now: chrono::DateTime<Utc>,
) -> CronScheduleRow {
    let (name, payload) = match &spec.target {
        CronTarget::Workflow { name, input } => (name.clone(), input.clone()),
        CronTarget::Event { name, data } => (name.clone(), data.clone()),
    };
    CronScheduleRow {
        tenant_id: tenant.clone(),
        schedule_id: id,
        name: spec.name.clone(),
        target_kind: spec.target.kind().into(),
        target_name: name,
        payload: Json(payload),
        expression: spec.expression.clone(),
        time_zone: spec.time_zone.clone(),
        overlap: spec.overlap.as_str().into(),
        catch_up: spec.catch_up.as_str().into(),
        paused: spec.paused,
        next_tick_at: (!spec.paused).then(|| spec.clock.next_after(now)).flatten(),
        last_tick_at: None,
        last_run_id: None,
        last_outcome: None,
        created_at,
        updated_at: now,
    }
}

/// The target a stored schedule names.
pub fn target_of(row: &CronScheduleRow) -> CronTarget {
    let payload: Value = row.payload.0.clone();
    if row.target_kind == "event" {
        CronTarget::Event {
            name: row.target_name.clone(),
            data: payload,
        }
    } else {
        CronTarget::Workflow {
            name: row.target_name.clone(),
            input: payload,
        }
    }
}
