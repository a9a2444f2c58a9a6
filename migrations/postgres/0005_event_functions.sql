-- Engine support for event-triggered functions: steps waiting for events, keys that
-- limit how many runs execute at once, client event ids for deduplication, and named
-- leases with a cursor (the event router's position).

-- The event a sleeping step waits for, derived from its wait description, so an
-- arriving event finds its waiters through an index.
alter table step_runs
    add column wait_event text generated always as (wait ->> 'event') stored;
create index step_runs_waiting_for_event on step_runs (tenant_id, wait_event)
    where status = 'sleeping' and wait_event is not null;

-- At most `concurrency_limit` runs with the same key execute at once.
alter table runs add column concurrency_key text;
alter table runs add column concurrency_limit integer;
create index runs_running_by_concurrency_key on runs (tenant_id, concurrency_key)
    where status = 'running' and concurrency_key is not null;

-- Event ids given by clients, remembered for a day so a repeat triggers nothing.
create table event_ids (
    tenant_id    text not null,
    client_id    text not null,
    event_id     uuid not null,
    received_at  timestamptz not null,
    primary key (tenant_id, client_id)
);
create index event_ids_by_age on event_ids (received_at);

-- Work that one replica at a time must do (the event router), with its progress.
create table leases (
    name        text primary key,
    owner       text,
    expires_at  timestamptz,
    position    bigint not null default 0
);
