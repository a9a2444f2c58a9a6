//! The event store's frame, written once for both SQL backends. Positions are given
//! and rows are shaped differently (see `EventStore`): PostgreSQL derives positions
//! from the inserting transaction's id, reads only below the oldest transaction still
//! running, and keeps a commit's events about one run in one row; SQLite's row id is
//! the position and a row is one event. So every method is the backend's own:
//! `append`, `sequence`, `last_position`, `prune`, and the readers `read_all` and
//! `read_tenant`.

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
