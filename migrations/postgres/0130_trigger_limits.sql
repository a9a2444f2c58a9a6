-- Rate limits and throttles of event triggers. One row per (function, event) that a
-- limited trigger decided on: for `rateLimit` whether the event started a run
-- (admitted) or was skipped, for `throttle` when its run may start. Kept in the
-- database so every replica's event router sees the same counts, and so a router
-- that repeats events after a crash repeats the same decisions. Times are epoch
-- milliseconds; old rows are pruned as new ones are written.

create table trigger_limit_marks (
    tenant_id   text    not null,
    function    text    not null,
    limit_kind  text    not null,
    event_id    text    not null,
    limit_key   text    not null,
    at_ms       bigint  not null,
    admitted    boolean not null,
    primary key (tenant_id, function, limit_kind, event_id)
);

create index trigger_limit_marks_by_key
    on trigger_limit_marks (tenant_id, function, limit_kind, limit_key, at_ms);

create index trigger_limit_marks_by_event
    on trigger_limit_marks (tenant_id, event_id);
