-- A service call between attempts is `scheduled` again: when its next attempt is
-- due (after backoff or the server's Retry-After), shown with its last error.
alter table service_calls add column next_attempt_at timestamptz;
