-- Step and attempt rows are written only with their run: inserted in the statement
-- that inserts it, updated and added by the commits of the replica holding its
-- lease (fenced on the run row), and deleted with it by retention and erasure,
-- children first, in one transaction. The foreign keys to the run checked again at
-- every attempt what those statements already guarantee, with a lookup of the run
-- and a lock on its row (one more WAL record) for every attempt row.
alter table step_runs drop constraint step_runs_tenant_id_run_id_fkey;
alter table step_attempts drop constraint step_attempts_tenant_id_run_id_fkey;
