-- Same index as on PostgreSQL: waiting steps are found through the event they wait
-- for, and their status is checked on the rows the index returns, so status changes
-- of ordinary steps no longer touch this index.
drop index step_runs_waiting_for_event;
create index step_runs_by_wait_event on step_runs (tenant_id, wait_event)
    where wait_event is not null;
