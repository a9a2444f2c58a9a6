//! Cron schedules as stored: what to start, when, and what the last tick did. The
//! tickers of every replica claim due schedules through a short lease, so one tick
//! is handled by one replica at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{RunId, StoreResult, TenantId};

/// A stored cron schedule.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CronScheduleRow {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id (UUID v7).
    pub schedule_id: Uuid,
    /// Unique name within the tenant.
    pub name: String,
    /// `workflow` or `event`.
    pub target_kind: String,
    /// The workflow to start or the event to emit.
    pub target_name: String,
    /// The run's input or the event's data.
    pub payload: Json<Value>,
    /// The cron expression.
    pub expression: String,
    /// The IANA time zone the expression is read in.
    pub time_zone: String,
    /// `skip`, `queue` or `allow`.
    pub overlap: String,
    /// `skip` or `runOnce` (stored spelling; the API shows `run_once`).
    pub catch_up: String,
    /// Paused schedules fire nothing.
    pub paused: bool,
    /// The next tick to fire (none while paused).
    pub next_tick_at: Option<DateTime<Utc>>,
    /// The last tick handled.
    pub last_tick_at: Option<DateTime<Utc>>,
    /// The run the last started tick started.
    pub last_run_id: Option<RunId>,
    /// What the last tick did.
    pub last_outcome: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change by a user.
    pub updated_at: DateTime<Utc>,
}

/// What a handled tick records on its schedule.
#[derive(Debug, Clone)]
pub struct TickDone {
    /// The schedule's next tick before this one was handled: the fence against
    /// a concurrent edit (which recomputes it).
    pub expected_next: DateTime<Utc>,
    /// Its next tick now.
    pub next_tick_at: DateTime<Utc>,
    /// The tick handled (the latest of those due).
    pub tick: DateTime<Utc>,
    /// The run it started, if any.
    pub run_id: Option<RunId>,
    /// What it did.
    pub outcome: String,
}

/// The tenants' cron schedules.
#[async_trait]
pub trait CronStore {
    /// Stores a schedule; `Conflict` when the tenant has one with the same name.
    async fn insert_cron_schedule(&self, row: &CronScheduleRow) -> StoreResult<()>;

    /// One schedule of a tenant.
    async fn get_cron_schedule(
        &self,
        tenant: &TenantId,
        id: Uuid,
    ) -> StoreResult<Option<CronScheduleRow>>;

    /// The tenant's schedules, by name.
    async fn list_cron_schedules(&self, tenant: &TenantId) -> StoreResult<Vec<CronScheduleRow>>;

    /// Replaces what a user may change (name, target, payload, expression, time
    /// zone, policies, paused, next tick, updated time); the last tick's record
    /// stays. False when the tenant has no such schedule; `Conflict` on a name
    /// another schedule has.
    async fn update_cron_schedule(&self, row: &CronScheduleRow) -> StoreResult<bool>;

    /// Removes a schedule (runs it started stay); false when there is none.
    async fn delete_cron_schedule(&self, tenant: &TenantId, id: Uuid) -> StoreResult<bool>;

    /// Claims up to `limit` unpaused schedules whose next tick is due at `now` and
    /// that no ticker holds, leasing them to `owner` until `until`.
    async fn claim_due_cron_schedules(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CronScheduleRow>>;

    /// Records a handled tick and gives the lease back, if `owner` still holds it
    /// and nobody moved the next tick meanwhile. False when the fence failed (the
    /// schedule was edited, paused or deleted): the tick's record is dropped.
    async fn finish_cron_tick(
        &self,
        tenant: &TenantId,
        id: Uuid,
        owner: &str,
        done: &TickDone,
    ) -> StoreResult<bool>;

    /// Gives a lease back without recording anything, so the tick is tried again.
    async fn release_cron_schedule(
        &self,
        tenant: &TenantId,
        id: Uuid,
        owner: &str,
    ) -> StoreResult<()>;
}
