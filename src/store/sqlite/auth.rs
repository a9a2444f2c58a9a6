//! Tenants and API keys in SQLite (the statements are shared with PostgreSQL).

crate::store::auth_sql::impl_auth_store!(super::SqliteStore, reader, writer);
