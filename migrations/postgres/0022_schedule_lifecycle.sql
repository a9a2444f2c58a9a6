-- Schedules as their offices use them: a cancelled import says CANCELLED; each hospital
-- has an IANA time zone, in which its shift times (still stored as local wall-clock
-- times) are instants; versions are published (one per hospital and period), and the
-- one they replace is marked superseded.

alter table schedule_import_status drop constraint schedule_import_status_status_check;
alter table schedule_import_status add constraint schedule_import_status_status_check
    check (status in ('IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED'));

-- Existing hospitals keep reading their times as UTC until they say otherwise.
alter table hospitals add column time_zone text not null default 'UTC';

alter table schedule_versions add column published_at timestamptz;
alter table schedule_versions add column published_by text;
alter table schedule_versions add column superseded_at timestamptz;
alter table schedule_versions add column superseded_by uuid;

-- At most one published version per hospital and period, whatever the replicas do.
create unique index schedule_versions_published on schedule_versions
    (tenant_id, hospital_id, period_start, period_end) where status = 'published';
