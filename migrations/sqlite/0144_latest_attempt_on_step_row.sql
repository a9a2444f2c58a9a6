-- A step's latest attempt is kept on its step row as JSON; `step_attempts` receives
-- an attempt only when a newer one of its step starts (see the PostgreSQL migration
-- of the same number).
alter table step_runs add column attempt text;
