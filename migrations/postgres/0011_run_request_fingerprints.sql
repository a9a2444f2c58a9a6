-- The fingerprint (SHA-256 of the request body) of the submission that created a run
-- under a client's Idempotency-Key, so the same key with another body is refused
-- instead of silently answering with the first run. Null for runs whose key was
-- derived by careflow itself, and for runs submitted before this migration.
alter table runs add column request_hash text;
