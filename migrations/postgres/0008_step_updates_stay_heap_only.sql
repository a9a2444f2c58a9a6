-- Step rows are updated several times per step (started, finished, parked, woken).
-- An index whose predicate names `status` made every one of those updates write new
-- index entries, since PostgreSQL can keep an update on the heap page alone (HOT)
-- only when no indexed or predicate column changes. Waiting steps are found through
-- the event they wait for; the status is checked on the rows the index returns.
drop index step_runs_waiting_for_event;
create index step_runs_by_wait_event on step_runs (tenant_id, wait_event)
    where wait_event is not null;

-- Room on each page for the new versions of updated rows (new pages only).
alter table step_runs set (fillfactor = 80);
alter table runs set (fillfactor = 80);
