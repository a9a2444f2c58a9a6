-- Routing patients' SMS replies to the right tenant and patient.
--
-- twilio_numbers: which tenant a Twilio number or Messaging Service belongs to. An
-- inbound SMS names the number it was sent to (and the Messaging Service, when the
-- number is in one) but no tenant: the tenant is read from this table, so the two
-- unique indexes span tenants by design, and a number belongs to one tenant only.
--
-- unrouted_replies: an inbound SMS that could be from more than one patient (a shared
-- number, no mapping telling the tenants apart). It belongs to no tenant until a
-- person has reviewed it, so its key is its own id; each tenant concerned sees only
-- its own rows of unrouted_reply_candidates (and a review task), never the text.

create table twilio_numbers (
    tenant_id              text not null,
    number_id              uuid not null,
    -- Exactly one of the two: an E.164 number or a Messaging Service SID (MG...).
    phone_number           text,
    messaging_service_sid  text,
    created_at             timestamptz not null,
    primary key (tenant_id, number_id),
    check ((phone_number is null) <> (messaging_service_sid is null))
);
create unique index twilio_numbers_by_number on twilio_numbers (phone_number)
    where phone_number is not null;
create unique index twilio_numbers_by_service on twilio_numbers (messaging_service_sid)
    where messaging_service_sid is not null;

create table unrouted_replies (
    reply_id               uuid not null primary key,
    -- Twilio's id of the inbound SMS: a repeated webhook finds its row.
    message_sid            text not null,
    from_phone             text not null,
    to_number              text,
    messaging_service_sid  text,
    body                   text not null,
    -- The rule table's verdict, so review tasks are as urgent as the text.
    severity               text not null,
    received_at            timestamptz not null
);
create unique index unrouted_replies_by_message_sid on unrouted_replies (message_sid);

create table unrouted_reply_candidates (
    tenant_id   text not null,
    reply_id    uuid not null,
    patient_id  text not null,
    plan_id     uuid not null,
    created_at  timestamptz not null,
    primary key (tenant_id, reply_id, patient_id),
    foreign key (reply_id) references unrouted_replies (reply_id)
);
