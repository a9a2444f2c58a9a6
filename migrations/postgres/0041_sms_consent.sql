-- SMS consent: every STOP/UNSUBSCRIBE/CANCEL/END/QUIT (opt-out) and START/UNSTOP
-- (opt-in) a number sent to a tenant, as Twilio's opt-out keywords. The newest change
-- for a number says whether the tenant may text it; the rows are the record.

create table sms_consent_changes (
    tenant_id    text not null,
    change_id    uuid not null,
    phone        text not null,
    -- opt_out or opt_in.
    action       text not null,
    -- The keyword as the sender wrote it, upper-cased (STOP, UNSUBSCRIBE, START, ...).
    keyword      text not null,
    -- Twilio's id of the SMS: a repeated webhook records nothing more.
    message_sid  text not null,
    received_at  timestamptz not null,
    primary key (tenant_id, change_id)
);
create unique index sms_consent_changes_by_message on sms_consent_changes (tenant_id, message_sid);
create index sms_consent_changes_by_phone on sms_consent_changes (tenant_id, phone, received_at);
