-- Admission counts the queued runs that are due (all tenants, and the submitting
-- tenant's) on every submission that enters the queue: this index holds only those
-- rows, so parked timers and waiting runs are never scanned.
create index runs_queued on runs (ready_at, created_at, tenant_id) where status = 'queued';
