//! Cron schedules on PostgreSQL: the shared statements, claims skipping locked rows.

crate::store::shared_sql::cron_store!(super::PgStore, writer: pool, reader: pool, lock: "for update skip locked");
