-- Replicas cache API keys they have read; whatever revokes or deletes a key (the
-- command line, an operator's SQL) tells every replica at once, so the key stops
-- working everywhere within the notice's delivery, not the cache's time to live.
-- The payload is the service's notice format on its notice channel.
create function api_key_revoked_notice() returns trigger
language plpgsql as $$
begin
    perform pg_notify('careflow',
        json_build_object('k', 'apiKeyRevoked', 'key', old.key_id)::text);
    return null;
end;
$$;

create trigger api_keys_revoked
    after update of revoked_at on api_keys
    for each row when (new.revoked_at is not null and old.revoked_at is null)
    execute function api_key_revoked_notice();

create trigger api_keys_deleted
    after delete on api_keys
    for each row execute function api_key_revoked_notice();
