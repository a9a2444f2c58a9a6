-- Retention and erasure: the record of purges and the index the retention pruner walks.

-- One row per erasure request (DELETE /v1/runs/{id}, POST /v1/purges): who asked,
-- when, what was selected (kind and a hash of the value, never the value itself) and
-- how many records of each kind were erased.
create table purges (
    tenant_id        text not null,
    purge_id         uuid not null,
    created_at       timestamptz not null,
    credential       text not null,
    credential_kind  text not null,
    selector_kind    text not null,
    selector_hash    text not null,
    erased           jsonb not null,
    primary key (tenant_id, purge_id)
);

-- The pruner looks for finished runs past retention across tenants (like the work
-- queue, by design), oldest first; unfinished runs are not in this index.
create index runs_finished_by_age on runs (finished_at, run_id)
    where status in ('completed', 'failed', 'cancelled');
