-- A run's events are read by run (the dashboard's run view and timeline, and any
-- `?runId=` listing or stream replay) without scanning every event of the tenant.
-- Events that belong to no run (sent through POST /v1/events) are left out.
create index events_by_tenant_run on events (tenant_id, run_id, position)
    where run_id is not null;
