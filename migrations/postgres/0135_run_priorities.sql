-- Priorities and fair turns between tenants.
--
-- `priority` (1-9, default 5): claims take higher priorities first.
-- `turn`: among runs of one priority that entered the queue due at once, the
-- order in which claims take them. A run's turn is the later of the queue's head
-- turn and one past its tenant's last queued turn, so tenants take turns: one
-- tenant's backlog of thousands of runs cannot hold another tenant's run behind it.
alter table runs add column priority smallint not null default 5;
alter table runs add column turn bigint not null default 0;

-- Runs that entered the queue due at once, in claim order. The predicate leaves
-- out deferred starts, so a claim never scans runs that are not due yet.
create index runs_fresh_by_turn on runs (priority desc, turn)
    where status = 'queued' and ready_at <= created_at;
-- A tenant's last turn at a priority, read when its next run enters the queue.
create index runs_fresh_turns_by_tenant on runs (tenant_id, priority, turn)
    where status = 'queued' and ready_at <= created_at;
-- Everything else a claim takes is due by time: woken timers and waits, lapsed
-- leases, deferred or requeued starts. Claims take those by due time.
create index runs_timed on runs (ready_at)
    where status in ('running', 'sleeping', 'waiting')
       or (status = 'queued' and ready_at > created_at);
