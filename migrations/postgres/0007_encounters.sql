-- The prior-authorization encounter workflow: per-source polling state (lease and
-- cursor), the run processing each encounter, and the generated PDF forms.

-- One row per polled FHIR source. Only the lease holder polls; the cursor (highest
-- meta.lastUpdated seen and the encounter ids seen at that instant) is saved after the
-- runs of a page were submitted.
create table encounter_sources (
    tenant_id            text not null,
    source               text not null,
    owner                text,
    lease_until          timestamptz,
    cursor_last_updated  timestamptz,
    cursor_ids           jsonb not null default '[]'::jsonb,
    updated_at           timestamptz not null,
    primary key (tenant_id, source)
);

-- The run that processes each encounter (the latest, should there be several).
create table encounter_runs (
    tenant_id      text not null,
    encounter_id   text not null,
    source         text not null,
    run_id         uuid not null,
    submitted_at   timestamptz not null,
    primary key (tenant_id, encounter_id, source)
);

-- The prior-authorization form of each encounter, as PDF bytes.
create table encounter_forms (
    tenant_id       text not null,
    encounter_id    text not null,
    source          text not null,
    run_id          uuid not null,
    transaction_id  text not null,
    pdf             bytea not null,
    size_bytes      bigint not null,
    created_at      timestamptz not null,
    primary key (tenant_id, encounter_id, source)
);
