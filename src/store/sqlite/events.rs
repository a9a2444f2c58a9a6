//! Events in SQLite: with one writer, insertion order is commit order, so the row id
//! is the position and there is nothing to sequence.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::SqliteStore;
use crate::store::{EventFilter, EventRow, EventStore, NewEvent, Notice, StoreResult, TenantId};

const EVENT_COLUMNS: &str = "position, tenant_id, event_id, event_type, correlation_id, run_id, \
     workflow, source, data, created_at";

#[async_trait]
impl EventStore for SqliteStore {
    async fn append_events(&self, tenant: &TenantId, events: &[NewEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
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

    async fn sequence_events(&self) -> StoreResult<(u64, bool)> {
        // Row ids already are commit-ordered positions.
        self.announce([Notice::EventsPositioned]);
        Ok((0, false))
    }

    async fn events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<EventRow>> {
        Ok(sqlx::query_as(&format!(
            "select {EVENT_COLUMNS} from events where position > $1 order by position limit $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
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
             where tenant_id = $1 and position > $2
               and {run_clause}
               and ($4 is null or correlation_id = $4)
               and ($5 is null or workflow = $5)
               and ($6 is null or event_type = $6)
             order by position limit $7"
        ))
        .bind(tenant)
        .bind(after)
        .bind(filter.run_id)
        .bind(&filter.correlation_id)
        .bind(&filter.workflow)
        .bind(&filter.event_type)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?)
    }

    async fn last_event_position(&self) -> StoreResult<i64> {
        let p: Option<i64> = sqlx::query_scalar("select max(position) from events")
            .fetch_one(&self.reader)
            .await?;
        Ok(p.unwrap_or(0))
    }

    async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("delete from events where created_at < $1")
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
