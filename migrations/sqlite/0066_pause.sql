-- Pausing (SQLite dialect). A run asked to pause keeps its status and is not claimed
-- until resumed (a running one first lets its current attempts finish). A workflow
-- paused for a tenant holds that tenant's queued runs of it.

alter table runs add column pause_requested boolean not null default false;

create table paused_workflows (
    tenant_id  text not null,
    workflow   text not null,
    paused_at  text not null,
    primary key (tenant_id, workflow)
);
