//! Events in SQLite (see `shared_sql::events`): with one writer, insertion order is
//! commit order, so the row id is the position, there is nothing to sequence, and a
//! row is one event.

use sqlx::types::Json;

use super::SqliteStore;
use crate::store::Notice;
use crate::store::shared_sql::events::{bind_tenant_read, run_clause};

crate::store::shared_sql::event_store!(SqliteStore);

/// Columns of `EventRow`.
const EVENT_COLUMNS: &str = "position, tenant_id, event_id, event_type, correlation_id, run_id, \
     workflow, source, data, created_at";

impl SqliteStore {
    /// Appends events (some) outside any run commit.
    async fn append(&self, tenant: &TenantId, events: &[NewEvent]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for e in events {
            sqlx::query(
                "insert into events (tenant_id, event_id, event_type, correlation_id, run_id,
                                     workflow, source, data, created_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(tenant)
            .bind(e.event_id)
            .bind(&e.event_type)
            .bind(&e.correlation_id)
            .bind(e.run_id)
            .bind(&e.workflow)
            .bind(&e.source)
            .bind(Json(&e.data))
            .bind(e.created_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.announce([Notice::EventsAppended]);
        Ok(())
    }

    /// Nothing to number: row ids already are commit-ordered positions.
    async fn sequence(&self) -> StoreResult<(u64, bool)> {
        // Row ids already are commit-ordered positions.
        self.announce([Notice::EventsPositioned]);
        Ok((0, false))
    }

    /// The highest position given so far, deleted ones included: the
    /// autoincrement counter remembers it after the event is pruned or erased.
    async fn last_position(&self) -> StoreResult<i64> {
        let p: Option<i64> = sqlx::query_scalar(
            "select max(p) from (select max(position) as p from events
                                 union all
                                 select seq from sqlite_sequence where name = 'events')",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(p.unwrap_or(0))
    }

    /// Deletes events created before `before`.
    async fn prune(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("delete from events where created_at < $1")
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    /// Events of every tenant after `after`.
    async fn read_all(&self, after: i64, limit: i64) -> StoreResult<Vec<EventRow>> {
        Ok(sqlx::query_as(&format!(
            "select {EVENT_COLUMNS} from events where position > $1 order by position limit $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?)
    }

    /// A tenant's events after `after` that pass `filter`.
    async fn read_tenant(
        &self,
        tenant: &TenantId,
        after: i64,
        filter: &EventFilter,
        limit: i64,
    ) -> StoreResult<Vec<EventRow>> {
        let run_clause = run_clause(filter);
        let sql = format!(
            "select {EVENT_COLUMNS} from events
             where tenant_id = $1 and position > $2 and {run_clause}
               and ($4 is null or correlation_id = $4)
               and ($5 is null or workflow = $5)
               and ($6 is null or event_type = $6)
             order by position limit $7"
        );
        let query = bind_tenant_read!(sqlx::query_as(&sql), tenant, after, filter, limit);
        Ok(query.fetch_all(&self.reader).await?)
    }
}
