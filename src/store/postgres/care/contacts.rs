//! Escalation contacts in PostgreSQL: the shared statements on the one pool.

crate::store::shared_sql::contact_store!(super::super::PgStore, writer: pool, reader: pool);
