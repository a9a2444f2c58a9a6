-- Engine support for event-triggered functions (SQLite dialect): steps waiting for
-- events, concurrency keys, client event ids, named leases with a cursor.

alter table step_runs
    add column wait_event text generated always as (json_extract(wait, '$.event')) virtual;
create index step_runs_waiting_for_event on step_runs (tenant_id, wait_event)
    where status = 'sleeping' and wait_event is not null;

alter table runs add column concurrency_key text;
alter table runs add column concurrency_limit integer;
create index runs_running_by_concurrency_key on runs (tenant_id, concurrency_key)
    where status = 'running' and concurrency_key is not null;

create table event_ids (
    tenant_id    text not null,
    client_id    text not null,
    event_id     blob not null,
    received_at  text not null,
    primary key (tenant_id, client_id)
);
create index event_ids_by_age on event_ids (received_at);

create table leases (
    name        text primary key,
    owner       text,
    expires_at  text,
    position    integer not null default 0
);
