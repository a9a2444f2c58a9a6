-- Every attempt of every step: when it started and ended, how it ended, its error
-- and the replica (lease owner) that ran it. A row is inserted in the commit that
-- starts the attempt and completed in the commit that records its outcome, so the
-- history costs no commit of its own. Rows are keyed by a time-ordered id rather
-- than the attempt number, because retrying a run numbers its steps' attempts
-- from 1 again.
create table step_attempts (
    tenant_id    text not null,
    run_id       uuid not null,
    step_name    text not null,
    attempt_id   uuid not null,
    attempt      integer not null,
    started_at   timestamptz not null,
    ended_at     timestamptz,
    -- completed, failed, timedOut, lost, cancelled; null while the attempt lasts.
    outcome      text,
    error        jsonb,
    replica      text not null,
    primary key (tenant_id, run_id, step_name, attempt_id),
    foreign key (tenant_id, run_id) references runs (tenant_id, run_id) on delete cascade
);
