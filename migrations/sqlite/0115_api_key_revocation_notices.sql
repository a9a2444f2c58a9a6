-- PostgreSQL notifies replicas of API-key revocations (their key caches drop the
-- key). SQLite has no key cache (keys are read on every request), so nothing
-- changes here; the file keeps both backends' migration numbers in step.
select 1;
