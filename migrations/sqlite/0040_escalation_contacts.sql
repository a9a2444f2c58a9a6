-- Escalation contacts: per tenant, the charge nurses and supervisors told by SMS when
-- a task nobody could take reaches its SLA warning or breach. SQLite dialect: uuids
-- are 16-byte blobs, timestamps RFC 3339 text in UTC.

create table escalation_contacts (
    tenant_id    text not null,
    contact_id   blob not null,
    name         text not null,
    -- charge_nurse or supervisor.
    role         text not null,
    phone        text not null,
    created_at   text not null,
    primary key (tenant_id, contact_id)
);
create unique index escalation_contacts_by_phone on escalation_contacts (tenant_id, phone);
