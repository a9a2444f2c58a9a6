//! SMS consent and stopped plans in PostgreSQL: the shared statements on the one pool.

crate::store::shared_sql::consent_store!(super::super::PgStore, writer: pool, reader: pool);
