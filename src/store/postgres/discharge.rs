//! The discharge workflow's cases, summaries, emails and calls in PostgreSQL: the shared statements on the one pool.

crate::store::shared_sql::discharge_store!(super::PgStore, writer: pool, reader: pool, row: sqlx::postgres::PgRow);
