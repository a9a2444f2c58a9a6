//! Reading events, written once for both SQL backends. Positions are given
//! differently (see `EventStore`): PostgreSQL derives them from the inserting
//! transaction's id and lets readers read only below the oldest transaction still
//! running (`readable`), SQLite's row id already is the position; so appending,
//! sequencing, the last position and pruning are the backend's own, as `append`,
//! `sequence`, `last_position` and `prune`.

/// Columns of `EventRow`.
pub(crate) const EVENT_COLUMNS: &str = "position, tenant_id, event_id, event_type, \
     correlation_id, run_id, workflow, source, data, created_at";

/// Implements `EventStore` for a backend: the readers on the `reader` pool, the rest
/// through the backend's own methods (which write on the `writer` pool). `readable`
/// is added to the readers' conditions: what keeps them below positions that may
/// still be filled (empty when every stored position is final).
macro_rules! event_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident, readable: $readable:literal) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};

        use $crate::store::shared_sql::events::EVENT_COLUMNS;
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
                Ok(sqlx::query_as(&format!(
                    "select {EVENT_COLUMNS} from events
                     where position > $1 {}
                     order by position limit $2",
                    $readable
                ))
                .bind(after)
                .bind(limit)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn tenant_events_after(
                &self,
                tenant: &TenantId,
                after: i64,
                filter: &EventFilter,
                limit: i64,
            ) -> StoreResult<Vec<EventRow>> {
                // With a run, `run_id = $3` (not "$3 is null or ...") lets the planner use
                // the run's index instead of scanning the tenant's events in order.
                let run_clause = if filter.run_id.is_some() {
                    "run_id = $3"
                } else {
                    "$3 is null"
                };
                Ok(sqlx::query_as(&format!(
                    "select {EVENT_COLUMNS} from events
                     where tenant_id = $1 and position > $2 {readable}
                       and {run_clause}
                       and ($4 is null or correlation_id = $4)
                       and ($5 is null or workflow = $5)
                       and ($6 is null or event_type = $6)
                     order by position limit $7",
                    readable = $readable
                ))
                .bind(tenant)
                .bind(after)
                .bind(filter.run_id)
                .bind(&filter.correlation_id)
                .bind(&filter.workflow)
                .bind(&filter.event_type)
                .bind(limit)
                .fetch_all(&self.$reader)
                .await?)
            }
        }
    };
}

pub(crate) use event_store;
