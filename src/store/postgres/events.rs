//! Events in PostgreSQL (see `shared_sql::events`): readers kept below the event
//! horizon, rows that carry a commit's events about one run, and the pass that tells
//! every replica when events become readable.
//!
//! Events get their positions at insert, from their transaction's id (migration
//! 0140, `insert_events_sql`): no second write numbers them. Ordering by transaction
//! id is not ordering by commit, so a reader stops at `event_horizon()`, the first
//! position of the oldest transaction of this database still running in its
//! snapshot: every event below it is committed, and none can appear there later, so
//! "everything after position X" has no gap. The price: a transaction that stays open
//! holds back every event committed after it started until it ends.
//!
//! A run's commit writes its events about that run as one row (migration 0143): the
//! row is its last event, at the row's position, and carries the ones before it in
//! `earlier`, at the positions just below. Readers hand out one event per position,
//! as if each had its own row.

use std::sync::atomic::Ordering;

use sqlx::Row;

use super::PgStore;
use super::columns::EventColumns;
use super::runs::{bind_events, insert_events_sql};
use crate::store::shared_sql::events::RowShape;
use crate::store::{Notice, Sequenced};

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

crate::store::shared_sql::event_store!(PgStore, reader: pool, shape: SHAPE);

/// A row is a commit's events about one run (its own and `earlier`), and readers
/// stay below the horizon. Only the first row chosen can hold events at or before
/// the position read after (its own event is after it), so one row more than the
/// events asked for always suffices.
const SHAPE: RowShape = RowShape {
    columns: "position, tenant_id, event_id, event_type, correlation_id, run_id, workflow, \
              source, data, created_at, earlier",
    readable: "and position < event_horizon()",
    holds_type: "event_type = {t}::text \
                 or earlier @> jsonb_build_array(jsonb_build_object('type', {t}::text))",
    extra_rows: " + 1",
    events: expanded_sql,
};

/// Reads events from rows chosen by `rows` (a query over `events` returning its
/// columns, ordered by position): every row's own event and its earlier ones, each at
/// its position, after `after` and of type `event_type` when that is not null. A row
/// holds the events of one transaction, so a row below the horizon is readable whole.
fn expanded_sql(rows: &str, after: &str, event_type: &str, limit: &str) -> String {
    format!(
        "select e.position - x.back as position, e.tenant_id, x.event_id, x.event_type,
                e.correlation_id, e.run_id, e.workflow, e.source, x.data, x.created_at
         from ({rows}) e
         cross join lateral (
             select 0::bigint as back, e.event_id, e.event_type, e.data, e.created_at
             union all
             select jsonb_array_length(e.earlier) - m.n + 1, (m.v->>'id')::uuid, m.v->>'type',
                    m.v->'data', (m.v->>'at')::timestamptz
             from jsonb_array_elements(e.earlier) with ordinality as m(v, n)
         ) x
         where e.position - x.back > {after}
           and ({event_type}::text is null or x.event_type = {event_type})
         order by 1 limit {limit}"
    )
}

impl PgStore {
    /// Appends events (some) outside any run commit, in one statement.
    async fn append(&self, tenant: &TenantId, events: &[NewEvent]) -> StoreResult<()> {
        let sql = insert_events_sql(2, "true");
        let mut tx = self.begin_write().await?;
        bind_events(sqlx::query(&sql).bind(tenant), &EventColumns::new(events))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.announce_local(Notice::EventsAppended);
        Ok(())
    }

    /// Looks whether events became readable since the last pass (the horizon moved
    /// past some) and, if so, tells every replica's event pump and router in the same
    /// statement; answers whether committed events still wait above the horizon for
    /// an older transaction to end, and the horizon (see
    /// `EventStore::sequence_events`).
    async fn sequence(&self) -> StoreResult<Sequenced> {
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
             select h.h,
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
        let waiting: bool = row.try_get("waiting")?;
        // Passes may overlap (the pump and `until_idle`): keep the highest horizon.
        self.horizon_seen.fetch_max(horizon, Ordering::SeqCst);
        Ok(Sequenced {
            waiting,
            readable_through: Some(horizon - 1),
        })
    }

    /// The highest readable position, or the highest one deleted if higher.
    async fn last_position(&self) -> StoreResult<i64> {
        // Erased or pruned events may have held the highest positions: the floor
        // remembers them, so the last position never goes back. Erasure may delete
        // events still above the horizon, so the floor counts only up to it: an
        // older transaction may yet commit an event below a deleted one, and
        // whoever starts after the last position must still read it.
        let p: Option<i64> = sqlx::query_scalar(
            "select greatest(
                 coalesce((select position from events where position < event_horizon()
                           order by position desc limit 1), 0),
                 least((select position from event_position_floor), event_horizon() - 1))",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(p.unwrap_or(0))
    }

    /// Deletes events created before `before` (a row by its own, last, event's time),
    /// keeping the floor; answers how many events went.
    async fn prune(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        // The floor keeps the last position at or above every position deleted here,
        // even when no newer event remains.
        let sql = concat!(
            "with gone as (
                delete from events where created_at < $1 and position < event_horizon()
                returning position, coalesce(jsonb_array_length(earlier), 0) + 1 as events
             ), ",
            raise_floor!(),
            " select coalesce(sum(events), 0)::bigint from gone"
        );
        let n: i64 = sqlx::query_scalar(sql)
            .bind(before)
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }
}
