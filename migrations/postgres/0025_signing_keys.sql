-- Keys the service signs its own short-lived tokens with (stream tokens for browsers'
-- EventSource). Not tenant data: one row per purpose, made by whichever replica starts
-- first and read by every other, so a token one replica signs is accepted by all.
create table signing_keys (
    name text primary key,
    secret bytea not null,
    created_at timestamptz not null
);
