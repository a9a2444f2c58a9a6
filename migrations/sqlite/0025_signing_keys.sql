-- Keys the service signs its own short-lived tokens with (stream tokens for browsers'
-- EventSource). Not tenant data: one row per purpose, made on first start.
create table signing_keys (
    name text primary key,
    secret blob not null,
    created_at text not null
);
