-- Cron schedules: per tenant, a workflow to start (or an event to emit) at every tick
-- of a cron expression in a time zone. Every replica's ticker claims due schedules
-- with a short lease; the run a tick starts carries the idempotency key
-- `cron:<schedule id>:<tick>`, so a tick fires once even when a replica dies between
-- starting the run and advancing the schedule.

create table cron_schedules (
    tenant_id         text not null,
    schedule_id       uuid not null,
    name              text not null,
    -- workflow or event.
    target_kind       text not null,
    -- The workflow to start or the event to emit.
    target_name       text not null,
    -- The run's input or the event's data.
    payload           jsonb not null,
    expression        text not null,
    -- IANA time zone the expression is read in.
    time_zone         text not null,
    -- skip, queue or allow: what a tick does while the previous run is unfinished.
    overlap           text not null,
    -- skip or runOnce: what happens to ticks missed during downtime.
    catch_up          text not null,
    paused            boolean not null default false,
    -- The next tick to fire; null while paused.
    next_tick_at      timestamptz,
    last_tick_at      timestamptz,
    last_run_id       uuid,
    -- What the last tick did: started, emitted, skippedOverlap, skippedMissed, failed.
    last_outcome      text,
    lease_owner       text,
    lease_expires_at  timestamptz,
    created_at        timestamptz not null,
    updated_at        timestamptz not null,
    primary key (tenant_id, schedule_id)
);
create unique index cron_schedules_by_name on cron_schedules (tenant_id, name);
-- The tickers' queue spans tenants by design, like the runs' queue.
create index cron_schedules_due on cron_schedules (next_tick_at) where not paused;
