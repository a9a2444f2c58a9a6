-- An import's Amion access code lives no longer than its run: whenever a
-- schedule-import run ends (completed, failed or cancelled, however it ended), the
-- code given with its upload is deleted. The roster phase clears it once used; this
-- covers every run that ends without reaching that point, such as an import whose
-- spreadsheet could not be read. (SQLite dialect: upload ids are 16-byte blobs, the
-- run's input JSON text; a malformed id matches nothing rather than failing.)
create trigger schedule_import_end_forgets_amion_login
after update of status on runs
when new.workflow = 'schedule-import'
 and new.status in ('completed', 'failed', 'cancelled')
 and old.status is not new.status
begin
    update schedule_uploads set amion_login = null
     where tenant_id = new.tenant_id
       and upload_id = unhex(replace(json_extract(new.input, '$.uploadId'), '-', ''))
       and amion_login is not null;
end;
