-- The W3C `traceparent` of the span a run was submitted under (null when span
-- export was off), so its step attempts join that trace wherever they execute.
alter table runs add column trace_parent text;
