-- Encounters processed per version of the resource: each run keeps the version it was
-- keyed by; forms are kept per run, and a newer version's run marks the older forms
-- superseded. A run that failed for good on a transient error is marked, so that it is
-- retried once its source answers again. (SQLite dialect: a primary key changes by
-- rebuilding its table.)

alter table encounter_runs add column version text;
alter table encounter_runs add column failed_transient_at text;
create index encounter_runs_to_recover on encounter_runs (tenant_id, source, failed_transient_at)
    where failed_transient_at is not null;

create table encounter_forms_new (
    tenant_id       text not null,
    encounter_id    text not null,
    source          text not null,
    run_id          blob not null,
    transaction_id  text not null,
    pdf             blob not null,
    size_bytes      integer not null,
    created_at      text not null,
    version         text,
    superseded_at   text,
    superseded_by   text,
    primary key (tenant_id, encounter_id, source, run_id)
);
insert into encounter_forms_new (tenant_id, encounter_id, source, run_id, transaction_id, pdf,
                                 size_bytes, created_at)
    select tenant_id, encounter_id, source, run_id, transaction_id, pdf, size_bytes, created_at
    from encounter_forms;
drop table encounter_forms;
alter table encounter_forms_new rename to encounter_forms;
