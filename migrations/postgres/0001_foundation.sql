-- Tenants, API keys, and the engine's runs, step runs and events.
-- tenant_id leads every primary key and index of tenant data; the two exceptions are
-- said where they are made.

create table tenants (
    tenant_id   text primary key,
    created_at  timestamptz not null default now()
);

-- API keys are looked up by key id before the tenant is known, so key_id alone is the
-- primary key: this is the credential registry, not tenant data.
create table api_keys (
    key_id       uuid primary key,
    tenant_id    text not null references tenants (tenant_id),
    key_hash     text not null,
    label        text not null,
    created_at   timestamptz not null,
    revoked_at   timestamptz
);
create index api_keys_by_tenant on api_keys (tenant_id, created_at);

create table runs (
    tenant_id          text not null,
    run_id             uuid not null,
    workflow           text not null,
    workflow_version   integer not null,
    status             text not null,
    input              jsonb not null,
    options            jsonb not null,
    idempotency_key    text,
    correlation_id     text,
    error              jsonb,
    created_at         timestamptz not null,
    started_at         timestamptz,
    finished_at        timestamptz,
    -- When a replica should next look at the run: queued (not before), sleeping (timer),
    -- waiting (timeout), running (lease expiry). Null when nobody needs to.
    ready_at           timestamptz,
    lease_owner        text,
    lease_epoch        bigint not null default 0,
    lease_expires_at   timestamptz,
    cancel_requested   boolean not null default false,
    primary key (tenant_id, run_id)
);
create unique index runs_idempotency on runs (tenant_id, workflow, idempotency_key)
    where idempotency_key is not null;
create index runs_by_tenant_created on runs (tenant_id, created_at desc, run_id desc);
create index runs_by_tenant_workflow on runs (tenant_id, workflow, created_at desc);
-- The work queue spans tenants by design: replicas claim whatever is due, whoever owns it.
create index runs_claimable on runs (ready_at)
    where status in ('queued', 'running', 'sleeping', 'waiting');
create index runs_by_lease_owner on runs (lease_owner) where lease_owner is not null;

create table step_runs (
    tenant_id     text not null,
    run_id        uuid not null,
    step_name     text not null,
    position      integer not null,
    status        text not null,
    attempts      integer not null default 0,
    started_at    timestamptz,
    finished_at   timestamptz,
    duration_ms   bigint,
    output        jsonb,
    error         jsonb,
    messages      jsonb,
    skip_reason   text,
    wake_at       timestamptz,
    wait          jsonb,
    primary key (tenant_id, run_id, step_name),
    foreign key (tenant_id, run_id) references runs (tenant_id, run_id) on delete cascade
);

create table events (
    -- Insertion order; commit order can differ under concurrency, which is why readers
    -- use `position`, assigned in commit order once no earlier transaction can still
    -- add events before it.
    seq             bigserial not null,
    tx_id           xid8 not null default pg_current_xact_id(),
    position        bigint,
    tenant_id       text not null,
    event_id        uuid not null,
    event_type      text not null,
    correlation_id  text,
    run_id          uuid,
    workflow        text,
    source          text not null,
    data            jsonb not null,
    created_at      timestamptz not null,
    primary key (tenant_id, seq)
);
create unique index events_by_tenant_position on events (tenant_id, position);
create index events_unpositioned on events (tx_id, seq) where position is null;
create index events_by_position on events (position) where position is not null;
