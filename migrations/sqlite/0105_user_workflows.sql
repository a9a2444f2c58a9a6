-- Workflows a tenant defines over the API (SQLite dialect). Every PUT adds a
-- version; versions are never changed or deleted, so a run pinned to one
-- (runs.workflow_version) can always read the definition it started with.
create table user_workflows (
    tenant_id   text not null,
    name        text not null,
    version     integer not null,
    definition  text not null,
    created_at  text not null,
    primary key (tenant_id, name, version)
);
