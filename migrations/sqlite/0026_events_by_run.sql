-- A run's events are read by run without scanning every event of the tenant.
create index events_by_tenant_run on events (tenant_id, run_id, position)
    where run_id is not null;
