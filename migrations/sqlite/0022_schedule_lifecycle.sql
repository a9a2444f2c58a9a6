-- Schedules as their offices use them: a cancelled import says CANCELLED; each hospital
-- has an IANA time zone, in which its shift times (still stored as local wall-clock
-- times) are instants; versions are published (one per hospital and period), and the
-- one they replace is marked superseded. (SQLite dialect: a check constraint changes by
-- rebuilding its table.)

create table schedule_import_status_new (
    tenant_id     text not null,
    hospital_id   blob not null,
    status        text not null
        check (status in ('IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED')),
    import_id     blob not null,
    run_id        blob,
    started_at    text not null,
    completed_at  text,
    updated_at    text not null,
    primary key (tenant_id, hospital_id),
    foreign key (tenant_id, hospital_id) references hospitals (tenant_id, hospital_id)
);
insert into schedule_import_status_new
    select tenant_id, hospital_id, status, import_id, run_id, started_at, completed_at, updated_at
    from schedule_import_status;
drop table schedule_import_status;
alter table schedule_import_status_new rename to schedule_import_status;

-- Existing hospitals keep reading their times as UTC until they say otherwise.
alter table hospitals add column time_zone text not null default 'UTC';

alter table schedule_versions add column published_at text;
alter table schedule_versions add column published_by text;
alter table schedule_versions add column superseded_at text;
alter table schedule_versions add column superseded_by blob;

-- At most one published version per hospital and period, whatever the replicas do.
create unique index schedule_versions_published on schedule_versions
    (tenant_id, hospital_id, period_start, period_end) where status = 'published';
