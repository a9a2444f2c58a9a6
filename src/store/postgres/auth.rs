//! Tenants and API keys in PostgreSQL (the statements are shared with SQLite).

crate::store::auth_sql::impl_auth_store!(super::PgStore, pool, pool);
