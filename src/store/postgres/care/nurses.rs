//! Nurses, shifts and assignment in PostgreSQL: the shared statements on the one pool.

crate::store::shared_sql::nurse_store!(super::super::PgStore, writer: pool, reader: pool);
