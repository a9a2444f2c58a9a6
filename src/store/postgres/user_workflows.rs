//! Tenants' workflow definitions on PostgreSQL: the shared statements.

crate::store::shared_sql::user_workflow_store!(super::PgStore, writer: pool, reader: pool);
