-- An import's Amion access code lives no longer than its run: whenever a
-- schedule-import run ends (completed, failed or cancelled; on any replica, however it
-- ended), the code given with its upload is deleted. The roster phase clears it once
-- used; this covers every run that ends without reaching that point, such as an
-- import whose spreadsheet could not be read.
create function forget_amion_login_of_ended_import() returns trigger
language plpgsql as $$
declare
    upload text := new.input ->> 'uploadId';
begin
    -- Inputs are not validated here: a malformed id must not fail the run's commit.
    if upload ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
        update schedule_uploads set amion_login = null
         where tenant_id = new.tenant_id
           and upload_id = upload::uuid
           and amion_login is not null;
    end if;
    return null;
end $$;

create trigger schedule_import_end_forgets_amion_login
    after update of status on runs
    for each row
    when (new.workflow = 'schedule-import'
          and new.status in ('completed', 'failed', 'cancelled')
          and old.status is distinct from new.status)
    execute function forget_amion_login_of_ended_import();
