//! The notification log and daily send counts in PostgreSQL: the shared statements on the one pool.

crate::store::shared_sql::notification_store!(super::super::PgStore, writer: pool, reader: pool);
