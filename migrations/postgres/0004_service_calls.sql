-- Scheduled service calls: HTTP requests careflow performs at a due time. The
-- ServiceCall aggregate is the only writer of this table; every transition is a
-- conditional update on `status`, so a duplicate firing changes nothing.

create table service_calls (
    tenant_id         text not null,
    service_call_id   uuid not null,
    name              text not null,
    -- submitted, scheduled, running, succeeded, failed, cancelled
    status            text not null,
    method            text not null,
    url               text not null,
    -- [{name, storage: plain|sealed|dropped, value?}]: secret values are sealed
    -- (AES-256-GCM) or, without an encryption key, dropped.
    headers           jsonb not null,
    -- {json: value} or {text: string}; null when the request has no body.
    body              jsonb,
    due_at            timestamptz not null,
    correlation_id    text,
    tags              jsonb not null,
    idempotency_key   text,
    -- SHA-256 of the submitted body, to refuse a key reused for another request.
    request_hash      text not null,
    -- The service-call run performing it, once scheduled.
    run_id            uuid,
    -- The last execution attempt that claimed the call.
    attempts          integer not null default 0,
    created_at        timestamptz not null,
    scheduled_at      timestamptz,
    started_at        timestamptz,
    finished_at       timestamptz,
    -- Response metadata (status code, selected headers, sizes, latency, excerpt).
    response          jsonb,
    -- Error metadata of a failed call (kind, message, attempt).
    error             jsonb,
    primary key (tenant_id, service_call_id)
);
create unique index service_calls_idempotency on service_calls (tenant_id, idempotency_key)
    where idempotency_key is not null;
create index service_calls_by_status_due on service_calls (tenant_id, status, due_at);
