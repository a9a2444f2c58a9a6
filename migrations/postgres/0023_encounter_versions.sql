-- Encounters processed per version of the resource: each run keeps the version it was
-- keyed by; forms are kept per run, and a newer version's run marks the older forms
-- superseded. A run that failed for good on a transient error is marked, so that it is
-- retried once its source answers again.

alter table encounter_runs add column version text;
alter table encounter_runs add column failed_transient_at timestamptz;
create index encounter_runs_to_recover on encounter_runs (tenant_id, source, failed_transient_at)
    where failed_transient_at is not null;

alter table encounter_forms add column version text;
alter table encounter_forms add column superseded_at timestamptz;
alter table encounter_forms add column superseded_by text;
alter table encounter_forms drop constraint encounter_forms_pkey;
alter table encounter_forms add primary key (tenant_id, encounter_id, source, run_id);
