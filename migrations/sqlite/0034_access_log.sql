-- Who read which patient-bearing record: one row per audited request, written by
-- the HTTP edge. Never a body, never a query value other than an id.
create table access_log (
    id              integer primary key autoincrement,
    tenant_id       text not null,
    at              text not null,
    credential      text not null,
    credential_kind text not null,
    method          text not null,
    route           text not null,
    resource        text,
    resource_ids    text not null,
    request_id      text,
    status          integer not null
);
create index access_log_by_tenant on access_log (tenant_id, id);
create index access_log_by_tenant_resource on access_log (tenant_id, resource, id)
    where resource is not null;
-- Pruning goes by age across tenants.
create index access_log_by_time on access_log (at);

-- Append-only: a row is never changed; only pruning past retention removes rows.
create trigger access_log_no_update before update on access_log
begin
    select raise(abort, 'access_log is append-only');
end;
