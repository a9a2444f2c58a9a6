-- Events get their position when they are inserted, from their transaction's id, so
-- no second write numbers them after the commit.
--
-- An event's position is `event_tx_position(its transaction id) + k`, where k counts
-- the transaction's earlier events (0, 1, ...; at most 4096 per transaction). Ordering
-- by position is ordering by (transaction id, insertion order). A reader reads only
-- below `event_horizon()`: the first position of the oldest transaction still running
-- in its snapshot (of this database). Every transaction below that one has ended,
-- and any transaction that starts later gets a higher id, so no event can ever appear
-- below a position a reader has already passed: "everything after X" has no gap.
--
-- Numbers are spaced 4096 per transaction id since this migration ran, starting above
-- every position given before (the floor included), so a client resuming after an
-- old position gets every new event. At 4096 per id they stay below 2^53 (what a
-- browser reads exactly) for the next 2.2 * 10^12 transaction ids of the server.

-- Writers wait for this migration (and it for writers still running), so every event
-- inserted before it is committed and numbered below, and every later one is numbered
-- at insert.
lock table events in share row exclusive mode;

-- Events of earlier versions that the sequencer had not numbered yet.
with pending as (
    select tenant_id, seq, row_number() over (order by tx_id, seq) as rn
    from events
    where position is null
),
base as (
    select greatest(coalesce((select max(position) from events), 0),
                    (select position from event_position_floor)) as p
)
update events e set position = base.p + pending.rn
from pending, base
where e.tenant_id = pending.tenant_id and e.seq = pending.seq;

-- The origin of the numbering, fixed here: the first position after every one given,
-- and the oldest transaction id that can still insert an event (the snapshot's xmin:
-- every transaction still running has an id at or above it).
do $$
declare
    first_position bigint;
    first_tx bigint;
begin
    select greatest(coalesce((select max(position) from events), 0),
                    (select position from event_position_floor)) + 1
      into first_position;
    first_tx := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;
    execute format(
        'create function event_tx_position(x xid8) returns bigint
         language sql immutable parallel safe
         as %L',
        format('select %s::bigint + ((x::text::bigint - %s::bigint) << 12)',
               first_position, first_tx));
end
$$;

-- Below this position every event is committed and none can still appear: the first
-- position of the oldest transaction that was running in the reader's snapshot and
-- may belong to this database. A running transaction of another database of the
-- server (whose backend still shows it) cannot insert events here, so it does not
-- hold readers back; one that ended meanwhile, or whose database is not known
-- (prepared, subtransactions), does, to be safe.
create function event_horizon() returns bigint
language sql stable parallel restricted
as $$
select event_tx_position(coalesce(
         (select min(x) from pg_snapshot_xip(c.s) as x
          where not exists (
              select 1 from pg_stat_get_activity(null) a
              where a.backend_xid = (x::text::bigint % 4294967296)::text::xid
                and a.datid <> (select oid from pg_database where datname = current_database()))),
         pg_snapshot_xmax(c.s)))
from (select pg_current_snapshot() as s) c
$$;

-- Inserts that name no position (replicas of the previous version during a rolling
-- upgrade) are numbered here, the same way the service numbers its own.
create function events_position_at_insert() returns trigger
language plpgsql as $$
declare
    lo bigint := event_tx_position(pg_current_xact_id());
begin
    select coalesce(max(position) + 1, lo) into new.position
      from events where position >= lo and position < lo + 4096;
    if new.position >= lo + 4096 then
        raise exception 'more than 4096 events in one transaction';
    end if;
    return new;
end
$$;
create trigger events_position_at_insert before insert on events
    for each row when (new.position is null)
    execute function events_position_at_insert();

-- Every event now has a position: it identifies the event, and the indexes that only
-- served numbering go (fewer index writes per event).
alter table events alter column position set not null;
alter table events drop constraint events_pkey;
alter table events add constraint events_pkey primary key using index events_by_tenant_position;
drop index events_unpositioned;
