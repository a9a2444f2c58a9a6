//! Reading events, written once for both SQL backends. Positions are given and rows
//! are shaped differently (see `EventStore`): PostgreSQL derives positions from the
//! inserting transaction's id, reads only below the oldest transaction still running,
//! and keeps a commit's events about one run in one row; SQLite's row id is the
//! position and a row is one event. So the readers choose rows here and the backend
//! says how (`RowShape`); appending, sequencing, the last position and pruning are the
//! backend's own, as `append`, `sequence`, `last_position` and `prune`.

/// What a backend's events rows look like to the readers.
pub(crate) struct RowShape {
    /// The columns a row query selects.
    pub columns: &'static str,
    /// Added to the rows' conditions: what keeps readers below positions that may
    /// still be filled (empty when every stored position is final).
    pub readable: &'static str,
    /// When a row holds an event of type `$type` (`{t}` stands for the parameter).
    pub holds_type: &'static str,
    /// How many more rows than events asked for a read must take.
    pub extra_rows: &'static str,
    /// Turns a row query into the events query: `(rows, after, type, limit)`, each
    /// a parameter or `null`.
    pub events: fn(&str, &str, &str, &str) -> String,
}

impl RowShape {
    /// The events of every tenant after `$1`, at most `$2`.
    pub fn all_sql(&self) -> String {
        let rows = format!(
            "select {} from events where position > $1 {} order by position limit $2{}",
            self.columns, self.readable, self.extra_rows
        );
        (self.events)(&rows, "$1", "null", "$2")
    }

    /// A tenant's events, bound as [`bind_tenant_read`] binds them. With a run,
    /// `run_id = $3` (not "$3 is null or ...") lets the planner use the run's index
    /// instead of scanning the tenant's events in order.
    pub fn tenant_sql(&self, filter: &crate::store::EventFilter) -> String {
        let run_clause = if filter.run_id.is_some() {
            "run_id = $3"
        } else {
            "$3 is null"
        };
        let rows = format!(
            "select {columns} from events
             where tenant_id = $1 and position > $2 {readable}
               and {run_clause}
               and ($4 is null or correlation_id = $4)
               and ($5 is null or workflow = $5)
               and ($6 is null or {holds_type})
             order by position limit $7{extra}",
            columns = self.columns,
            readable = self.readable,
            holds_type = self.holds_type.replace("{t}", "$6"),
            extra = self.extra_rows,
        );
        (self.events)(&rows, "$2", "$6", "$7")
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

/// Implements `EventStore` for a backend: the readers on the `reader` pool with rows
/// of shape `shape` (a [`RowShape`]), the rest through the backend's own methods
/// (which write on its writer pool).
macro_rules! event_store {
    ($store:ty, reader: $reader:ident, shape: $shape:expr) => {
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

            async fn sequence_events(&self) -> StoreResult<$crate::store::Sequenced> {
                self.sequence().await
            }

            async fn last_event_position(&self) -> StoreResult<i64> {
                self.last_position().await
            }

            async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                self.prune(before).await
            }

            async fn events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<EventRow>> {
                Ok(sqlx::query_as(&$shape.all_sql())
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
                let sql = $shape.tenant_sql(filter);
                let query = $crate::store::shared_sql::events::bind_tenant_read!(
                    sqlx::query_as(&sql),
                    tenant,
                    after,
                    filter,
                    limit
                );
                Ok(query.fetch_all(&self.$reader).await?)
            }
        }
    };
}

pub(crate) use {bind_tenant_read, event_store};
