-- The event horizon (see 0140) was a SQL function: PostgreSQL plans its body again at
-- every call, and it looked up the server's backends once for every transaction in
-- the snapshot. As PL/pgSQL its plans are kept by each connection, it reads the
-- backends at most once, and not at all when no transaction is running. Same
-- answer: the first position of the oldest transaction in the reader's snapshot that
-- may belong to this database, or the snapshot's end when there is none.
create or replace function event_horizon() returns bigint
language plpgsql stable parallel restricted
as $$
declare
    snap pg_snapshot := pg_current_snapshot();
    oldest xid8;
begin
    if pg_snapshot_xmin(snap) = pg_snapshot_xmax(snap) then
        return event_tx_position(pg_snapshot_xmax(snap));
    end if;
    -- A running transaction of another database (its backend shows it) cannot insert
    -- events here; one whose database is not known (prepared, or ended meanwhile)
    -- holds the horizon, to be safe.
    select min(x) into oldest
      from pg_snapshot_xip(snap) as x
     where (x::text::bigint % 4294967296)::text::xid not in (
         select a.backend_xid
           from pg_stat_get_activity(null) a
          where a.backend_xid is not null
            and a.datid <> (select oid from pg_database where datname = current_database()));
    return event_tx_position(coalesce(oldest, pg_snapshot_xmax(snap)));
end
$$;
