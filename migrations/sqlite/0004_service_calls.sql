-- Scheduled service calls (SQLite dialect: uuids are 16-byte blobs, timestamps
-- RFC 3339 text in UTC, JSON as text). The ServiceCall aggregate is the only
-- writer of this table; every transition is a conditional update on `status`.

create table service_calls (
    tenant_id         text not null,
    service_call_id   blob not null,
    name              text not null,
    status            text not null,
    method            text not null,
    url               text not null,
    headers           text not null,
    body              text,
    due_at            text not null,
    correlation_id    text,
    tags              text not null,
    idempotency_key   text,
    request_hash      text not null,
    run_id            blob,
    attempts          integer not null default 0,
    created_at        text not null,
    scheduled_at      text,
    started_at        text,
    finished_at       text,
    response          text,
    error             text,
    primary key (tenant_id, service_call_id)
);
create unique index service_calls_idempotency on service_calls (tenant_id, idempotency_key)
    where idempotency_key is not null;
create index service_calls_by_status_due on service_calls (tenant_id, status, due_at);
