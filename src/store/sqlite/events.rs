//! Events in SQLite (see `shared_sql::events`): with one writer, insertion order is
//! commit order, so the row id is the position, there is nothing to sequence, and a
//! row is one event.

use sqlx::types::Json;

use super::SqliteStore;
use crate::store::shared_sql::events::RowShape;
use crate::store::{Notice, Sequenced};

crate::store::shared_sql::event_store!(SqliteStore, reader: reader, shape: SHAPE);

/// A row is one event, and every stored position is final.
const SHAPE: RowShape = RowShape {
    columns: "position, tenant_id, event_id, event_type, correlation_id, run_id, workflow, \
              source, data, created_at",
    readable: "",
    holds_type: "event_type = {t}",
    extra_rows: "",
    events: |rows, _, _, _| rows.to_owned(),
};

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
    async fn sequence(&self) -> StoreResult<Sequenced> {
        // Row ids already are commit-ordered positions.
        self.announce([Notice::EventsPositioned]);
        Ok(Sequenced {
            waiting: false,
            readable_through: None,
        })
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
}
