-- Care transitions after discharge: nurses and their shifts, follow-up tasks, the
-- notification log with its per-tenant daily send counts, outreach plans and their
-- attempts, and patients' interactions (check-in replies). SQLite dialect: uuids are
-- 16-byte blobs, timestamps RFC 3339 text in UTC, JSON as text.
-- tenant_id leads every primary key and index; the two exceptions serve Twilio's
-- webhooks, which name a message or a phone number but no tenant, and are said where
-- they are made.

create table nurses (
    tenant_id          text not null,
    nurse_id           blob not null,
    name               text not null,
    phone              text,
    email              text,
    -- sms, email or voice: how task notifications reach the nurse.
    preferred_channel  text not null,
    max_open_tasks     integer not null,
    active             integer not null default 1,
    last_assigned_at   text,
    -- Grows with every assignment; assignments compare and set it, so two workers
    -- never both hand out the same "least recently assigned" turn.
    assignment_count   integer not null default 0,
    created_at         text not null,
    primary key (tenant_id, nurse_id)
);

create table nurse_shifts (
    tenant_id   text not null,
    shift_id    blob not null,
    nurse_id    blob not null,
    starts_at   text not null,
    ends_at     text not null,
    created_at  text not null,
    primary key (tenant_id, shift_id),
    foreign key (tenant_id, nurse_id) references nurses (tenant_id, nurse_id)
);
create index nurse_shifts_by_end on nurse_shifts (tenant_id, ends_at, starts_at);

create table tasks (
    tenant_id         text not null,
    task_id           blob not null,
    patient_id        text not null,
    title             text not null,
    description       text,
    priority          text not null,
    severity          text not null,
    sla_minutes       integer not null,
    -- OPEN, ASSIGNED or RESOLVED.
    status            text not null,
    assignee_id       blob,
    -- Who created it (api, checkin-response, checkin-no-reply) and, for workflow
    -- steps, a key that makes a repeated attempt find the task it created.
    origin            text not null,
    origin_key        text,
    interaction_id    blob,
    created_at        text not null,
    assigned_at       text,
    resolved_at       text,
    resolution        text,
    sla_warned_at     text,
    sla_breached_at   text,
    updated_at        text not null,
    primary key (tenant_id, task_id)
);
create unique index tasks_by_origin on tasks (tenant_id, origin_key) where origin_key is not null;
create index tasks_by_status on tasks (tenant_id, status, task_id);
create index tasks_open_by_assignee on tasks (tenant_id, assignee_id) where status = 'ASSIGNED';

create table notifications (
    tenant_id         text not null,
    notification_id   blob not null,
    -- The send-notification run that owns it: a repeated attempt finds its row.
    origin_key        text not null,
    kind              text not null,
    channel           text not null,
    recipient_kind    text not null,
    recipient_id      text,
    address           text,
    subject           text,
    body              text not null,
    priority          text not null,
    task_id           blob,
    patient_id        text,
    attempt_id        blob,
    -- PENDING, SENT, DELIVERED, READ, FAILED or CANCELLED.
    status            text not null,
    provider          text,
    provider_id       text,
    -- The provider's own status name; callbacks only ever move it forward.
    provider_status   text,
    attempts          integer not null default 0,
    last_attempt_at   text,
    error             text,
    error_code        text,
    -- The UTC day whose send cap this notification counted against.
    cap_day           text,
    created_at        text not null,
    sent_at           text,
    delivered_at      text,
    read_at           text,
    failed_at         text,
    cancelled_at      text,
    updated_at        text not null,
    primary key (tenant_id, notification_id)
);
create unique index notifications_by_origin on notifications (tenant_id, origin_key);
create index notifications_by_status on notifications (tenant_id, status, notification_id);
create index notifications_by_patient on notifications (tenant_id, patient_id)
    where patient_id is not null;
-- Status callbacks name only the provider's message or call id: the tenant is read
-- from this row, so this index spans tenants by design.
create unique index notifications_by_provider_id on notifications (provider_id)
    where provider_id is not null;

-- Sends per tenant, UTC day and channel (sms, voice), against the daily caps.
create table sms_daily_counts (
    tenant_id  text not null,
    day        text not null,
    channel    text not null,
    sent       integer not null,
    primary key (tenant_id, day, channel)
);

create table outreach_plans (
    tenant_id           text not null,
    plan_id             blob not null,
    origin_key          text not null,
    patient_id          text not null,
    phone               text not null,
    patient_name        text,
    discharged_at       text not null,
    -- ACTIVE, COMPLETED (the patient replied) or ESCALATED (no reply).
    status              text not null,
    max_attempts        integer not null,
    reply_timeout_secs  integer not null,
    created_at          text not null,
    finished_at         text,
    primary key (tenant_id, plan_id)
);
create unique index outreach_plans_by_origin on outreach_plans (tenant_id, origin_key);
create index outreach_plans_by_patient on outreach_plans (tenant_id, patient_id, created_at);
-- An inbound SMS names only the sender's number: the tenant and the patient are read
-- from the plan, so this index spans tenants by design.
create index outreach_plans_by_phone on outreach_plans (phone, created_at);

create table outreach_attempts (
    tenant_id        text not null,
    attempt_id       blob not null,
    plan_id          blob not null,
    attempt_number   integer not null,
    channel          text not null,
    -- AWAITING_REPLY, RESPONDED or NO_RESPONSE.
    status           text not null,
    interaction_id   blob,
    sent_at          text not null,
    finished_at      text,
    primary key (tenant_id, attempt_id),
    foreign key (tenant_id, plan_id) references outreach_plans (tenant_id, plan_id)
);
create unique index outreach_attempts_by_number
    on outreach_attempts (tenant_id, plan_id, attempt_number);

create table interactions (
    tenant_id        text not null,
    interaction_id   blob not null,
    patient_id       text not null,
    plan_id          blob,
    channel          text not null,
    direction        text not null,
    body             text not null,
    -- Twilio's id of an inbound SMS (a repeated webhook finds its row), or the
    -- event that carried a reply sent through the API.
    message_sid      text,
    origin_key       text,
    severity         text,
    matched_rules    text,
    reason           text,
    task_id          blob,
    received_at      text not null,
    classified_at    text,
    primary key (tenant_id, interaction_id)
);
create unique index interactions_by_message_sid on interactions (tenant_id, message_sid)
    where message_sid is not null;
create unique index interactions_by_origin on interactions (tenant_id, origin_key)
    where origin_key is not null;
create index interactions_by_patient on interactions (tenant_id, patient_id, received_at);
