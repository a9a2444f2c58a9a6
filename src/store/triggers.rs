//! What event-triggered functions need from storage: client event ids for
//! deduplication, steps waiting for events, runs found by their trigger's data,
//! rescheduling a debounced run, and named leases with a cursor.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{RunId, RunStatus, StoreResult, TenantId};

/// A step waiting for an event.
#[derive(Debug, Clone)]
pub struct Waiter {
    /// The run.
    pub run_id: RunId,
    /// The step.
    pub step_name: String,
    /// Its wait description (`event`, `match`, `since`, `state`).
    pub wait: Value,
}

/// Storage for event triggers and waits.
#[async_trait]
pub trait TriggerStore {
    /// Remembers client event ids; for each, true when it was not seen before (within
    /// the retention of remembered ids).
    async fn remember_event_ids(
        &self,
        tenant: &TenantId,
        ids: &[(String, Uuid)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<bool>>;

    /// Forgets client event ids received before `before`.
    async fn forget_event_ids(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Steps of parked runs waiting for `event` in the tenant.
    async fn event_waiters(&self, tenant: &TenantId, event: &str) -> StoreResult<Vec<Waiter>>;

    /// Hands `received` to a waiting step and makes its run due now; false when the
    /// step no longer waits (it timed out or was resolved already).
    async fn resolve_waiter(
        &self,
        tenant: &TenantId,
        run: RunId,
        step: &str,
        received: &Value,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Runs of `workflow` in `statuses` whose input has `value` (as text) at `path`,
    /// created after `since` when given.
    async fn runs_with_input(
        &self,
        tenant: &TenantId,
        workflow: &str,
        path: &[&str],
        value: &str,
        statuses: &[RunStatus],
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<RunId>>;

    /// Replaces a still-queued run's input and due time (debounce); false when it is
    /// no longer queued.
    async fn reschedule_queued(
        &self,
        tenant: &TenantId,
        run: RunId,
        input: &Value,
        ready_at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Runs of the tenant created with one of these idempotency keys.
    async fn runs_by_keys(
        &self,
        tenant: &TenantId,
        keys: &[String],
    ) -> StoreResult<Vec<(RunId, String, String)>>;

    /// Takes or renews the named lease for `owner` until `until`; returns the lease's
    /// position when held, `None` when another owner holds it.
    async fn hold_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Option<i64>>;

    /// Positions of the tenant's events with these ids that have one yet.
    async fn event_positions(&self, tenant: &TenantId, ids: &[Uuid]) -> StoreResult<Vec<i64>>;

    /// The position a named lease has reached (0 when it never ran).
    async fn lease_position(&self, name: &str) -> StoreResult<i64>;

    /// Moves the held lease's position forward; false when the lease was lost.
    async fn advance_lease(&self, name: &str, owner: &str, position: i64) -> StoreResult<bool>;

    /// Ends `owner`'s hold of the named lease at `now`, keeping its position, so
    /// another owner takes it at once instead of when it would have expired.
    async fn release_lease(&self, name: &str, owner: &str, now: DateTime<Utc>) -> StoreResult<()>;
}
