//! Outreach plans, attempts and interactions in PostgreSQL: the shared statements on the one pool.

crate::store::shared_sql::outreach_store!(super::super::PgStore, writer: pool, reader: pool);
