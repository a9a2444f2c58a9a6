-- The discharge workflow: cases, their summaries, owner emails (an outbox) and
-- follow-up calls. `origin_key` is the idempotency key of the step that wrote the row
-- (`<run id>:<step>`), unique in the tenant, so a repeated attempt finds the row it
-- already wrote instead of writing a second one. (SQLite dialect: uuids are 16-byte
-- blobs, timestamps RFC 3339 text in UTC, JSON as text.)

create table discharge_cases (
    tenant_id    text not null,
    case_id      blob not null,
    origin_key   text not null,
    run_id       blob not null,
    -- `text` (extracted from clinical text) or `structured`.
    mode         text not null,
    -- Where the clinic says the data came from, e.g. `ehr-export`.
    source       text,
    patient      text not null,
    -- The whole case: patient, owner, diagnoses, medications, instructions, follow-up.
    data         text not null,
    -- What was recognised: field pointers and counts, no patient data.
    entities     text not null,
    created_at   text not null,
    primary key (tenant_id, case_id)
);
create unique index discharge_cases_origin on discharge_cases (tenant_id, origin_key);

create table discharge_summaries (
    tenant_id     text not null,
    summary_id    blob not null,
    case_id       blob not null,
    origin_key    text not null,
    run_id        blob not null,
    -- `template:<id>` or `llm:<model>`.
    generated_by  text not null,
    content       text not null,
    created_at    text not null,
    primary key (tenant_id, summary_id),
    foreign key (tenant_id, case_id) references discharge_cases (tenant_id, case_id)
);
create unique index discharge_summaries_origin on discharge_summaries (tenant_id, origin_key);
create index discharge_summaries_by_case on discharge_summaries (tenant_id, case_id);

create table discharge_emails (
    tenant_id        text not null,
    email_id         blob not null,
    case_id          blob not null,
    summary_id       blob not null,
    origin_key       text not null,
    run_id           blob not null,
    recipient        text not null,
    subject          text not null,
    html_body        text not null,
    text_body        text not null,
    -- prepared -> scheduled -> sent | failed
    status           text not null,
    scheduled_for    text,
    attempts         integer not null default 0,
    last_error       text,
    -- `smtp` or `spool`.
    delivered_via    text,
    message_id       text,
    sent_at          text,
    -- The child run that delivers it at `scheduled_for`.
    delivery_run_id  blob,
    created_at       text not null,
    updated_at       text not null,
    primary key (tenant_id, email_id),
    foreign key (tenant_id, case_id) references discharge_cases (tenant_id, case_id),
    foreign key (tenant_id, summary_id) references discharge_summaries (tenant_id, summary_id)
);
create unique index discharge_emails_origin on discharge_emails (tenant_id, origin_key);
create index discharge_emails_by_case on discharge_emails (tenant_id, case_id);

create table discharge_calls (
    tenant_id          text not null,
    call_id            blob not null,
    case_id            blob not null,
    origin_key         text not null,
    run_id             blob not null,
    -- E.164.
    to_phone           text not null,
    -- What the call says when answered (TwiML).
    script             text not null,
    -- scheduled -> placed | failed | not_configured
    status             text not null,
    scheduled_for      text not null,
    attempts           integer not null default 0,
    last_error         text,
    -- The provider's call id (Twilio `CA...`) and the status it reported.
    provider_call_id   text,
    provider_status    text,
    placed_at          text,
    -- The child run that places it at `scheduled_for`.
    placement_run_id   blob,
    created_at         text not null,
    updated_at         text not null,
    primary key (tenant_id, call_id),
    foreign key (tenant_id, case_id) references discharge_cases (tenant_id, case_id)
);
create unique index discharge_calls_origin on discharge_calls (tenant_id, origin_key);
create index discharge_calls_by_case on discharge_calls (tenant_id, case_id);
