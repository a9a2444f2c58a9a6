//! Follow-up tasks in PostgreSQL: the shared statements on the one pool.

crate::store::shared_sql::task_store!(super::super::PgStore, writer: pool, reader: pool);
