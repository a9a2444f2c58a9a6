-- Cron schedules (SQLite dialect: uuids are 16-byte blobs, timestamps RFC 3339 text
-- in UTC): per tenant, a workflow to start (or an event to emit) at every tick of a
-- cron expression in a time zone. The run a tick starts carries the idempotency key
-- `cron:<schedule id>:<tick>`, so a tick fires once even across a crash.

create table cron_schedules (
    tenant_id         text not null,
    schedule_id       blob not null,
    name              text not null,
    -- workflow or event.
    target_kind       text not null,
    target_name       text not null,
    payload           text not null,
    expression        text not null,
    time_zone         text not null,
    -- skip, queue or allow.
    overlap           text not null,
    -- skip or runOnce.
    catch_up          text not null,
    paused            boolean not null default false,
    next_tick_at      text,
    last_tick_at      text,
    last_run_id       blob,
    last_outcome      text,
    lease_owner       text,
    lease_expires_at  text,
    created_at        text not null,
    updated_at        text not null,
    primary key (tenant_id, schedule_id)
);
create unique index cron_schedules_by_name on cron_schedules (tenant_id, name);
create index cron_schedules_due on cron_schedules (next_tick_at) where not paused;
