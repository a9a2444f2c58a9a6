-- Care transitions after discharge: nurses and their shifts, follow-up tasks, the
-- notification log with its per-tenant daily send counts, outreach plans and their
-- attempts, and patients' interactions (check-in replies).
-- tenant_id leads every primary key and index; the two exceptions serve Twilio's
-- webhooks, which name a message or a phone number but no tenant, and are said where
-- they are made.

create table nurses (
    tenant_id          text not null,
    nurse_id           uuid not null,
    name               text not null,
    phone              text,
    email              text,
    -- sms, email or voice: how task notifications reach the nurse.
    preferred_channel  text not null,
    max_open_tasks     integer not null,
    active             boolean not null default true,
    last_assigned_at   timestamptz,
    -- Grows with every assignment; assignments compare and set it, so two workers
    -- never both hand out the same "least recently assigned" turn.
    assignment_count   bigint not null default 0,
    created_at         timestamptz not null,
    primary key (tenant_id, nurse_id)
);

create table nurse_shifts (
    tenant_id   text not null,
    shift_id    uuid not null,
    nurse_id    uuid not null,
    starts_at   timestamptz not null,
    ends_at     timestamptz not null,
    created_at  timestamptz not null,
    primary key (tenant_id, shift_id),
    foreign key (tenant_id, nurse_id) references nurses (tenant_id, nurse_id)
);
create index nurse_shifts_by_end on nurse_shifts (tenant_id, ends_at, starts_at);

create table tasks (
    tenant_id         text not null,
    task_id           uuid not null,
    patient_id        text not null,
    title             text not null,
    description       text,
    priority          text not null,
    severity          text not null,
    sla_minutes       integer not null,
    -- OPEN, ASSIGNED or RESOLVED.
    status            text not null,
    assignee_id       uuid,
    -- Who created it (api, checkin-response, checkin-no-reply) and, for workflow
    -- steps, a key that makes a repeated attempt find the task it created.
    origin            text not null,
    origin_key        text,
    interaction_id    uuid,
    created_at        timestamptz not null,
    assigned_at       timestamptz,
    resolved_at       timestamptz,
    resolution        text,
    sla_warned_at     timestamptz,
    sla_breached_at   timestamptz,
    updated_at        timestamptz not null,
    primary key (tenant_id, task_id)
);
create unique index tasks_by_origin on tasks (tenant_id, origin_key) where origin_key is not null;
create index tasks_by_status on tasks (tenant_id, status, task_id);
create index tasks_open_by_assignee on tasks (tenant_id, assignee_id) where status = 'ASSIGNED';

create table notifications (
    tenant_id         text not null,
    notification_id   uuid not null,
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
    task_id           uuid,
    patient_id        text,
    attempt_id        uuid,
    -- PENDING, SENT, DELIVERED, READ, FAILED or CANCELLED.
    status            text not null,
    provider          text,
    provider_id       text,
    -- The provider's own status name; callbacks only ever move it forward.
    provider_status   text,
    attempts          integer not null default 0,
    last_attempt_at   timestamptz,
    error             text,
    error_code        text,
    -- The UTC day whose send cap this notification counted against.
    cap_day           text,
    created_at        timestamptz not null,
    sent_at           timestamptz,
    delivered_at      timestamptz,
    read_at           timestamptz,
    failed_at         timestamptz,
    cancelled_at      timestamptz,
    updated_at        timestamptz not null,
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
    plan_id             uuid not null,
    origin_key          text not null,
    patient_id          text not null,
    phone               text not null,
    patient_name        text,
    discharged_at       timestamptz not null,
    -- ACTIVE, COMPLETED (the patient replied) or ESCALATED (no reply).
    status              text not null,
    max_attempts        integer not null,
    reply_timeout_secs  bigint not null,
    created_at          timestamptz not null,
    finished_at         timestamptz,
    primary key (tenant_id, plan_id)
);
create unique index outreach_plans_by_origin on outreach_plans (tenant_id, origin_key);
create index outreach_plans_by_patient on outreach_plans (tenant_id, patient_id, created_at);
-- An inbound SMS names only the sender's number: the tenant and the patient are read
-- from the plan, so this index spans tenants by design.
create index outreach_plans_by_phone on outreach_plans (phone, created_at);

create table outreach_attempts (
    tenant_id        text not null,
    attempt_id       uuid not null,
    plan_id          uuid not null,
    attempt_number   integer not null,
    channel          text not null,
    -- AWAITING_REPLY, RESPONDED or NO_RESPONSE.
    status           text not null,
    interaction_id   uuid,
    sent_at          timestamptz not null,
    finished_at      timestamptz,
    primary key (tenant_id, attempt_id),
    foreign key (tenant_id, plan_id) references outreach_plans (tenant_id, plan_id)
);
create unique index outreach_attempts_by_number
    on outreach_attempts (tenant_id, plan_id, attempt_number);

create table interactions (
    tenant_id        text not null,
    interaction_id   uuid not null,
    patient_id       text not null,
    plan_id          uuid,
    channel          text not null,
    direction        text not null,
    body             text not null,
    -- Twilio's id of an inbound SMS (a repeated webhook finds its row), or the
    -- event that carried a reply sent through the API.
    message_sid      text,
    origin_key       text,
    severity         text,
    matched_rules    jsonb,
    reason           text,
    task_id          uuid,
    received_at      timestamptz not null,
    classified_at    timestamptz,
    primary key (tenant_id, interaction_id)
);
create unique index interactions_by_message_sid on interactions (tenant_id, message_sid)
    where message_sid is not null;
create unique index interactions_by_origin on interactions (tenant_id, origin_key)
    where origin_key is not null;
create index interactions_by_patient on interactions (tenant_id, patient_id, received_at);
