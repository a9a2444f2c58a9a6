-- Group commit carries notices (see `store::postgres::group_commit`). A run's last
-- commit tells the other replicas it finished (`pg_notify`), so until now it was
-- written alone: at 16 clients, one statement of every run's three and a half. This
-- form of `commit_group` takes the notices too: $38 is the channel, and $39-$41 the
-- notices (the tenant and run of each one's commit, then its payload). A notice is sent
-- only when its commit's fence matched, and like every notice it is delivered when
-- the transaction commits.
--
-- The 37-argument form of 0145 stays, since replicas of the previous version call
-- it until a rolling deploy has replaced them all; it now writes through this one.
create function commit_group(
    text[], uuid[], text[], bigint[], text[], timestamptz[], timestamptz[], timestamptz[],
    jsonb[],
    text[], uuid[], text[], int[], text[], int[], timestamptz[], timestamptz[], bigint[],
    jsonb[], jsonb[], jsonb[], text[], timestamptz[], jsonb[], jsonb[],
    uuid[], text[], text[], uuid[], text[], text[], jsonb[], timestamptz[], jsonb[], int[],
    text[], uuid[],
    text, text[], uuid[], text[])
returns table (tenant_id text, run_id uuid, cancel_requested boolean, pause_requested boolean)
language plpgsql
set enable_seqscan = off
set enable_hashjoin = off
set enable_mergejoin = off
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
    with c as (
        select * from unnest($1, $2, $3, $4, $5, $6, $7, $8, $9)
            as c(tenant_id, run_id, owner, epoch, status, ready_at, lease_until,
                 finished_at, error)
    ), fence as (
        update runs r set status = c.status, ready_at = c.ready_at,
            lease_owner = case when c.lease_until is null then null else r.lease_owner end,
            lease_expires_at = c.lease_until, finished_at = c.finished_at, error = c.error
        from c
        where r.tenant_id = c.tenant_id and r.run_id = c.run_id
          and r.lease_owner = c.owner and r.lease_epoch = c.epoch
        returning r.tenant_id, r.run_id, r.cancel_requested, r.pause_requested
    ), u as (
        select * from unnest($10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
                             $23, $24, $25)
            as u(tenant_id, run_id, step_name, position, status, attempts, started_at,
                 finished_at, duration_ms, output, error, messages, skip_reason, wake_at,
                 wait, attempt)
        where exists (select 1 from fence f
                      where f.tenant_id = u.tenant_id and f.run_id = u.run_id)
    ), s as (
        update step_runs t set status = u.status, attempts = u.attempts,
            started_at = u.started_at, finished_at = u.finished_at,
            duration_ms = u.duration_ms, output = u.output, error = u.error,
            messages = u.messages, skip_reason = u.skip_reason, wake_at = u.wake_at,
            wait = u.wait, attempt = u.attempt
        from u
        where t.tenant_id = u.tenant_id and t.run_id = u.run_id and t.step_name = u.step_name
        returning t.tenant_id, t.run_id, t.step_name
    ), s_new as (
        -- Steps pending until now have no row yet (see 0142 and the single commit).
        insert into step_runs (tenant_id, run_id, step_name, position, status, attempts,
                               started_at, finished_at, duration_ms, output, error,
                               messages, skip_reason, wake_at, wait, attempt)
        select u.* from u
        where not exists (select 1 from s where s.tenant_id = u.tenant_id
                          and s.run_id = u.run_id and s.step_name = u.step_name)
    ), e as (
        -- Positions as every event insert gives them (see 0140 and 0143).
        insert into events (position, tenant_id, event_id, event_type, correlation_id,
                            run_id, workflow, source, data, created_at, earlier)
        select f.next + e.off
               + coalesce((case when f.next + e.off >= f.lo + 4096
                                then 'more than 4096 events in one transaction: ' || e.off
                           end)::bigint, 0),
               e.tn, e.id, e.t, e.c, e.r, e.w, e.s, e.d, e.at, e.earlier
        from (select l.lo, coalesce((select max(position) + 1 from events
                                     where position >= l.lo and position < l.lo + 4096),
                                    l.lo) as next
              from (select event_tx_position(pg_current_xact_id()) as lo) l) f,
             unnest($26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37)
                 as e(id, t, c, r, w, s, d, at, earlier, off, tn, cr)
        where exists (select 1 from fence where fence.tenant_id = e.tn and fence.run_id = e.cr)
    ), n as (
        select pg_notify($38, n.payload)
        from unnest($39, $40, $41) as n(tenant_id, run_id, payload)
        where exists (select 1 from fence
                      where fence.tenant_id = n.tenant_id and fence.run_id = n.run_id)
    )
    -- A plain `select` CTE runs only when referenced: the join with its count sends
    -- the notices.
    select fence.tenant_id, fence.run_id, fence.cancel_requested, fence.pause_requested
    from fence, (select count(*) from n) as notified;
end
$$;

-- The 37-argument form now writes through this one, with no notices, so the two
-- cannot drift apart while both exist.
create or replace function commit_group(
    text[], uuid[], text[], bigint[], text[], timestamptz[], timestamptz[], timestamptz[],
    jsonb[],
    text[], uuid[], text[], int[], text[], int[], timestamptz[], timestamptz[], bigint[],
    jsonb[], jsonb[], jsonb[], text[], timestamptz[], jsonb[], jsonb[],
    uuid[], text[], text[], uuid[], text[], text[], jsonb[], timestamptz[], jsonb[], int[],
    text[], uuid[])
returns table (tenant_id text, run_id uuid, cancel_requested boolean, pause_requested boolean)
language sql
as $$
    select * from commit_group($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                               $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26,
                               $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37,
                               null::text, '{}'::text[], '{}'::uuid[], '{}'::text[])
$$;
