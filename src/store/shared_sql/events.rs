//! The event store's frame, written once for both SQL backends. Positions are given
//! and rows are shaped differently (see `EventStore`): PostgreSQL derives positions
//! from the inserting transaction's id, reads only below the oldest transaction still
//! running, and keeps a commit's events about one run in one row; SQLite's row id is
//! the position and a row is one event. So every method is the backend's own:
//! `append`, `sequence`, `last_position`, `prune`, and the readers `read_all` and
//! `read_tenant`.

/// The condition on the run in a tenant's read, whose parameters are numbered as
/// [`bind_tenant_read`] binds them. With a run, `run_id = $3` (not "$3 is null or
/// ...") lets the planner use the run's index instead of scanning the tenant's events
/// in order.
pub(crate) fn run_clause(filter: &crate::store::EventFilter) -> &'static str {
    if filter.run_id.is_some() {
        "run_id = $3"
    } else {
        "$3 is null"
    }
}

/// Binds a tenant's read: `$1` tenant, `$2` the position read after, `$3` run, `$4`
/// correlation id, `$5` workflow, `$6` event type, `$7` limit.
macro_rules! bind_tenant_read {
    ($query:expr, $tenant:expr, $after:expr, $filter:expr, $limit:expr) => {
        $query
            .bind($tenant)
            .bind($after)
            .bind($filter.run_id)
            .bind(&$filter.correlation_id)
            .bind(&$filter.workflow)
            .bind(&$filter.event_type)
            .bind($limit)
    };
}

pub(crate) use bind_tenant_read;

/// Implements `EventStore` for a backend through its own methods (see the module).
macro_rules! event_store {
    ($store:ty) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};

        use $crate::store::{EventFilter, EventRow, EventStore, NewEvent, StoreResult, TenantId};

        #[async_trait]
        impl EventStore for $store {
            async fn append_events(
                &self,
                tenant: &TenantId,
                events: &[NewEvent],
            ) -> StoreResult<()> {
                if events.is_empty() {
                    return Ok(());
                }
                self.append(tenant, events).await
            }

            async fn sequence_events(&self) -> StoreResult<(u64, bool)> {
                self.sequence().await
            }

            async fn last_event_position(&self) -> StoreResult<i64> {
                self.last_position().await
            }

            async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                self.prune(before).await
            }

            async fn events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<EventRow>> {
                self.read_all(after, limit).await
            }

            async fn tenant_events_after(
                &self,
                tenant: &TenantId,
                after: i64,
                filter: &EventFilter,
                limit: i64,
            ) -> StoreResult<Vec<EventRow>> {
                self.read_tenant(tenant, after, filter, limit).await
            }
        }
    };
}

pub(crate) use event_store;
