//! The encounter workflow's tables in PostgreSQL: the shared statements on the one pool.

crate::store::shared_sql::encounter_store!(super::PgStore, writer: pool, reader: pool);
