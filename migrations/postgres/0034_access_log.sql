-- Who read which patient-bearing record (HIPAA 164.312(b)): one row per audited
-- request, written by the HTTP edge. Only who, what route, which ids, when and the
-- answer's status: never a body, never a query value other than an id.
create table access_log (
    id              bigserial not null,
    tenant_id       text not null,
    at              timestamptz not null,
    -- `apikey:<key id>` or the JWT's subject.
    credential      text not null,
    credential_kind text not null,
    method          text not null,
    -- The route template, e.g. `/v1/runs/{id}`.
    route           text not null,
    -- The first id the request named (path first), for `GET /v1/audit?resource=`.
    resource        text,
    -- Every id the request named, by parameter name.
    resource_ids    jsonb not null,
    request_id      text,
    status          integer not null,
    primary key (tenant_id, id)
);
create index access_log_by_tenant_resource on access_log (tenant_id, resource, id)
    where resource is not null;
-- Pruning goes by age across tenants, so this one index leads with the time.
create index access_log_by_time on access_log (at);

-- Append-only: a row is never changed; only pruning past retention removes rows.
create function access_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'access_log is append-only';
end;
$$;
create trigger access_log_no_update before update on access_log
    for each row execute function access_log_is_append_only();
