//! Events in PostgreSQL: the shared readers (see `shared_sql::events`), and the
//! sequencer that gives committed events their positions.

use sqlx::Row;

use super::PgStore;
use super::columns::EventColumns;
use super::runs::{bind_events, insert_events_sql};
use crate::store::Notice;

/// Advisory lock key of the sequencer, so one replica at a time assigns positions.
const SEQUENCER_LOCK: i64 = 0x6361_7265_666c_6f77; // "careflow"

/// A common table expression raising the event position floor to the highest
/// position in `gone` (a CTE of deleted events returning `position`), so the
/// sequencer never numbers a new event at or below a position a reader may have seen.
/// A macro, so that `concat!` can build whole statements around it.
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

crate::store::shared_sql::event_store!(PgStore, writer: pool, reader: pool);

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

    /// Gives committed events their positions (see `EventStore::sequence_events`).
    async fn sequence(&self) -> StoreResult<(u64, bool)> {
        // Positions are given only to committed (visible) events and always above
        // every position given before, so a reader that has seen position P never
        // finds a new event below it. One sequencer at a time: the lock is taken in
        // its own statement, so the numbering statement's snapshot sees every
        // position the previous holder committed.
        //
        // The same round trip turns bitmap scans off for the numbering statement: an
        // ordered index scan with a limit stops after the events it numbers and marks
        // the dead entries it passes, where a bitmap scan would visit every dead entry
        // of already numbered events until the next vacuum.
        let mut tx = self.pool.begin().await?;
        let got: bool = sqlx::query_scalar(
            "select pg_try_advisory_xact_lock($1)
                    and set_config('enable_bitmapscan', 'off', true) = 'off'",
        )
        .bind(SEQUENCER_LOCK)
        .fetch_one(&mut *tx)
        .await?;
        if !got {
            // Another replica is numbering; its notice will bring the events.
            return Ok((0, true));
        }
        let sql = format!(
            "with pending as (
                select tenant_id, seq, row_number() over (order by tx_id, seq) as rn
                from events
                where position is null
                order by tx_id, seq
                limit 5000
             ),
             base as (
                select greatest(
                    coalesce((select position from events where position is not null
                              order by position desc limit 1), 0),
                    (select position from event_position_floor)) as p
             ),
             done as (
                update events e set position = base.p + pending.rn
                from pending, base
                where e.tenant_id = pending.tenant_id and e.seq = pending.seq
                returning 1
             ),
             n as (select pg_notify('{}', $1) where exists (select 1 from done))
             select (select count(*) from done) as positioned, (select count(*) from n) as n,
                    (select count(*) from events where position is null) as unpositioned",
            Notice::CHANNEL
        );
        let row = sqlx::query(&sql)
            .bind(Notice::EventsPositioned.to_payload())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        let positioned: i64 = row.try_get("positioned")?;
        // The count was taken in the statement's snapshot, before its own updates.
        let unpositioned: i64 = row.try_get("unpositioned")?;
        Ok((positioned as u64, unpositioned > positioned))
    }

    /// The highest position given so far, deleted ones included.
    async fn last_position(&self) -> StoreResult<i64> {
        // Erased or pruned events may have held the highest positions: the floor
        // remembers them (see `sequence_events`).
        let p: Option<i64> = sqlx::query_scalar(
            "select greatest(
                 coalesce((select position from events where position is not null
                           order by position desc limit 1), 0),
                 (select position from event_position_floor))",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(p.unwrap_or(0))
    }

    /// Deletes positioned events created before `before`, keeping the floor.
    async fn prune(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        // The floor keeps the sequencer above every position deleted here, even when
        // no newer event remains.
        let sql = concat!(
            "with gone as (
                delete from events where created_at < $1 and position is not null
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
