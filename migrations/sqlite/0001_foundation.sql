-- Tenants, API keys, and the engine's runs, step runs and events (SQLite dialect:
-- uuids are 16-byte blobs, timestamps RFC 3339 text in UTC, JSON as text).

create table tenants (
    tenant_id   text primary key,
    created_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

create table api_keys (
    key_id       blob primary key,
    tenant_id    text not null references tenants (tenant_id),
    key_hash     text not null,
    label        text not null,
    created_at   text not null,
    revoked_at   text
);
create index api_keys_by_tenant on api_keys (tenant_id, created_at);

create table runs (
    tenant_id          text not null,
    run_id             blob not null,
    workflow           text not null,
    workflow_version   integer not null,
    status             text not null,
    input              text not null,
    options            text not null,
    idempotency_key    text,
    correlation_id     text,
    error              text,
    created_at         text not null,
    started_at         text,
    finished_at        text,
    ready_at           text,
    lease_owner        text,
    lease_epoch        integer not null default 0,
    lease_expires_at   text,
    cancel_requested   integer not null default 0,
    primary key (tenant_id, run_id)
);
create unique index runs_idempotency on runs (tenant_id, workflow, idempotency_key)
    where idempotency_key is not null;
create index runs_by_tenant_created on runs (tenant_id, created_at desc, run_id desc);
create index runs_by_tenant_workflow on runs (tenant_id, workflow, created_at desc);
create index runs_claimable on runs (ready_at)
    where status in ('queued', 'running', 'sleeping', 'waiting');
create index runs_by_lease_owner on runs (lease_owner) where lease_owner is not null;

create table step_runs (
    tenant_id     text not null,
    run_id        blob not null,
    step_name     text not null,
    position      integer not null,
    status        text not null,
    attempts      integer not null default 0,
    started_at    text,
    finished_at   text,
    duration_ms   integer,
    output        text,
    error         text,
    messages      text,
    skip_reason   text,
    wake_at       text,
    wait          text,
    primary key (tenant_id, run_id, step_name),
    foreign key (tenant_id, run_id) references runs (tenant_id, run_id) on delete cascade
);

-- One process writes at a time, so insertion order is commit order and `position`
-- is simply the row id.
create table events (
    position        integer primary key autoincrement,
    tenant_id       text not null,
    event_id        blob not null,
    event_type      text not null,
    correlation_id  text,
    run_id          blob,
    workflow        text,
    source          text not null,
    data            text not null,
    created_at      text not null
);
create index events_by_tenant_position on events (tenant_id, position);
