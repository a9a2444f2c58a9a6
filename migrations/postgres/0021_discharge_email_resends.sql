-- Owner emails and follow-up calls can be `cancelled` (status is free text, so no
-- constraint changes). An email can be sent again: `resends` counts how often it
-- was put back in the outbox, and gives each resend its own Message-ID.
alter table discharge_emails add column resends integer not null default 0;
