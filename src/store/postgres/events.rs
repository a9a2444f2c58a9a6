//! Events in PostgreSQL: the shared readers (see `shared_sql::events`), kept below
//! the event horizon, and the pass that tells every replica when events become
//! readable.
//!
//! Events get their positions at insert, from their transaction's id (migration
//! 0140, `insert_events_sql`): no second write numbers them. Ordering by transaction
//! id is not ordering by commit, so a reader stops at `event_horizon()`, the first
//! position of the oldest transaction of this database still running in its
//! snapshot: every event below it is committed, and none can appear there later, so
//! "everything after position X" has no gap. The price: a transaction that stays open
//! holds back every event committed after it started until it ends.

use std::sync::atomic::Ordering;

use sqlx::Row;

use super::PgStore;
use super::columns::EventColumns;
use super::runs::{bind_events, insert_events_sql};
use crate::store::Notice;

/// A common table expression raising the event position floor to the highest
/// position in `gone` (a CTE of deleted events returning `position`), so that the
/// last position stays where readers may have seen it when the newest events are
/// deleted. A macro, so that `concat!` can build whole statements around it.
macro_rules! raise_floor {
    () => {
        "raised as (
            update event_position_floor
               set position = greatest(position, coalesce((select max(position) from gone), 0))
             where (select max(position) from gone) > position
            returning 1
        )"
    };
}
pub(super) use raise_floor;

crate::store::shared_sql::event_store!(
    PgStore, writer: pool, reader: pool,
    readable: "and position < event_horizon()"
);

impl PgStore {
    /// Appends events (some) outside any run commit, in one statement.
    async fn append(&self, tenant: &TenantId, events: &[NewEvent]) -> StoreResult<()> {
        let sql = insert_events_sql(2, "true");
        let mut tx = self.begin_write().await?;
        bind_events(sqlx::query(&sql).bind(tenant), EventColumns::new(events))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.announce_local(Notice::EventsAppended);
        Ok(())
    }

    /// Looks whether events became readable since the last pass (the horizon moved
    /// past some) and, if so, tells every replica's event pump and router in the same
    /// statement; answers 1 if some did (0 if not), and whether committed events still wait
    /// above the horizon for an older transaction to end (see
    /// `EventStore::sequence_events`).
    async fn sequence(&self) -> StoreResult<(u64, bool)> {
        // Both counts come from one snapshot, so an event is either below the horizon
        // (readable, counted as fresh once) or above it (waiting). "Waiting" looks at
        // the highest position only (an index's last entry): an `exists` above the
        // horizon may be planned as a scan of the whole table.
        let sql = format!(
            "with h as (select event_horizon() as h),
             fresh as (
                select exists (select 1 from events
                               where position >= $1 and position < h.h) as any
                from h
             ),
             n as (select pg_notify('{}', $2) from fresh where fresh.any)
             select h.h, fresh.any as fresh,
                    coalesce((select max(position) from events), 0) >= h.h as waiting,
                    (select count(*) from n) as notices
             from h, fresh",
            Notice::CHANNEL
        );
        let seen = self.horizon_seen.load(Ordering::SeqCst);
        let row = sqlx::query(&sql)
            .bind(seen)
            .bind(Notice::EventsPositioned.to_payload())
            .fetch_one(&self.pool)
            .await?;
        let horizon: i64 = row.try_get("h")?;
        let fresh: bool = row.try_get("fresh")?;
        let waiting: bool = row.try_get("waiting")?;
        // Passes may overlap (the pump and `until_idle`): keep the highest horizon.
        self.horizon_seen.fetch_max(horizon, Ordering::SeqCst);
        Ok((u64::from(fresh), waiting))
    }

    /// The highest readable position, or the highest one deleted if higher.
    async fn last_position(&self) -> StoreResult<i64> {
        // Erased or pruned events may have held the highest positions: the floor
        // remembers them, so the last position never goes back.
        let p: Option<i64> = sqlx::query_scalar(
            "select greatest(
                 coalesce((select position from events where position < event_horizon()
                           order by position desc limit 1), 0),
                 (select position from event_position_floor))",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(p.unwrap_or(0))
    }

    /// Deletes events created before `before`, keeping the floor.
    async fn prune(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        // The floor keeps the last position at or above every position deleted here,
        // even when no newer event remains.
        let sql = concat!(
            "with gone as (
                delete from events where created_at < $1 and position < event_horizon()
                returning position
             ), ",
            raise_floor!(),
            " select count(*) from gone"
        );
        let n: i64 = sqlx::query_scalar(sql)
            .bind(before)
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }
}
