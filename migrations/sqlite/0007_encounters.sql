-- The prior-authorization encounter workflow: per-source polling state (lease and
-- cursor), the run processing each encounter, and the generated PDF forms (SQLite
-- dialect: uuids are 16-byte blobs, timestamps RFC 3339 text in UTC, JSON as text).

create table encounter_sources (
    tenant_id            text not null,
    source               text not null,
    owner                text,
    lease_until          text,
    cursor_last_updated  text,
    cursor_ids           text not null default '[]',
    updated_at           text not null,
    primary key (tenant_id, source)
);

create table encounter_runs (
    tenant_id      text not null,
    encounter_id   text not null,
    source         text not null,
    run_id         blob not null,
    submitted_at   text not null,
    primary key (tenant_id, encounter_id, source)
);

create table encounter_forms (
    tenant_id       text not null,
    encounter_id    text not null,
    source          text not null,
    run_id          blob not null,
    transaction_id  text not null,
    pdf             blob not null,
    size_bytes      integer not null,
    created_at      text not null,
    primary key (tenant_id, encounter_id, source)
);
