-- Hospitals, schedule uploads, each hospital's import status, and schedule versions with
-- their shift instances, roster assignments and coverage (SQLite dialect: uuids are
-- 16-byte blobs, timestamps RFC 3339 text in UTC, dates and local shift times text, JSON
-- as text). Shift times are the facility's local wall-clock times.

create table hospitals (
    tenant_id    text not null,
    hospital_id  blob not null,
    name         text not null,
    created_by   text not null,
    created_at   text not null,
    primary key (tenant_id, hospital_id)
);
create unique index hospitals_by_name on hospitals (tenant_id, name);

-- The uploaded file stays in the database so that any replica can run the import.
-- amion_login is the access code given with the upload; it is cleared once used.
create table schedule_uploads (
    tenant_id    text not null,
    upload_id    blob not null,
    hospital_id  blob not null,
    file_name    text,
    size_bytes   integer not null,
    sha256       text not null,
    content      blob not null,
    amion_login  text,
    uploaded_by  text not null,
    created_at   text not null,
    primary key (tenant_id, upload_id),
    foreign key (tenant_id, hospital_id) references hospitals (tenant_id, hospital_id)
);
create index schedule_uploads_by_hospital on schedule_uploads (tenant_id, hospital_id, created_at);

-- One row per hospital that ever imported; claimed with a conditional upsert so that
-- only one import per hospital is IN_PROGRESS at a time, across replicas.
create table schedule_import_status (
    tenant_id     text not null,
    hospital_id   blob not null,
    status        text not null
        check (status in ('IN_PROGRESS', 'COMPLETED', 'FAILED')),
    import_id     blob not null,
    run_id        blob,
    started_at    text not null,
    completed_at  text,
    updated_at    text not null,
    primary key (tenant_id, hospital_id),
    foreign key (tenant_id, hospital_id) references hospitals (tenant_id, hospital_id)
);

create table schedule_versions (
    tenant_id               text not null,
    version_id              blob not null,
    hospital_id             blob not null,
    upload_id               blob not null,
    run_id                  blob,
    status                  text not null,
    period_start            text not null,
    period_end              text not null,
    shift_count             integer not null,
    created_by              text not null,
    created_at              text not null,
    assignments_fetched_at  text,
    assignments_matched     integer,
    assignments_unmatched   integer,
    primary key (tenant_id, version_id),
    foreign key (tenant_id, hospital_id) references hospitals (tenant_id, hospital_id),
    foreign key (tenant_id, upload_id) references schedule_uploads (tenant_id, upload_id)
);
-- One version per upload: a repeated import attempt finds the version it created.
create unique index schedule_versions_by_upload on schedule_versions (tenant_id, upload_id);
create index schedule_versions_by_hospital on schedule_versions (tenant_id, hospital_id, created_at);

create table shift_instances (
    tenant_id       text not null,
    version_id      blob not null,
    shift_id        blob not null,
    position        integer not null,
    sheet           text not null,
    row_number      integer not null,
    shift_date      text not null,
    shift_name      text not null,
    service         text not null,
    starts_at       text not null,
    ends_at         text not null,
    required_staff  integer not null check (required_staff >= 1),
    primary key (tenant_id, version_id, shift_id),
    foreign key (tenant_id, version_id) references schedule_versions (tenant_id, version_id)
        on delete cascade
);
create index shift_instances_by_position on shift_instances (tenant_id, version_id, position);

-- Matched roster assignments; the key names the version too, so an assignment can only
-- fill a shift of its own version.
create table shift_assignments (
    tenant_id        text not null,
    version_id       blob not null,
    assignment_id    blob not null,
    shift_id         blob not null,
    position         integer not null,
    staff_name       text not null,
    staff_key        text not null,
    staff_ref        text,
    assignment_name  text not null,
    starts_at        text not null,
    ends_at          text not null,
    primary key (tenant_id, version_id, assignment_id),
    foreign key (tenant_id, version_id, shift_id)
        references shift_instances (tenant_id, version_id, shift_id) on delete cascade
);
create index shift_assignments_by_position on shift_assignments (tenant_id, version_id, position);

create table schedule_coverage (
    tenant_id           text not null,
    version_id          blob not null,
    computed_at         text not null,
    overall_percentage  real not null,
    required_staff      integer not null,
    assigned_staff      integer not null,
    days                text not null,
    primary key (tenant_id, version_id),
    foreign key (tenant_id, version_id) references schedule_versions (tenant_id, version_id)
        on delete cascade
);

create table shift_coverage (
    tenant_id       text not null,
    version_id      blob not null,
    shift_id        blob not null,
    required_staff  integer not null,
    assigned_staff  integer not null,
    status          text not null check (status in ('covered', 'under', 'uncovered')),
    primary key (tenant_id, version_id, shift_id),
    foreign key (tenant_id, version_id, shift_id)
        references shift_instances (tenant_id, version_id, shift_id) on delete cascade
);
