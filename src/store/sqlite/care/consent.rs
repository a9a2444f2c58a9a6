//! SMS consent and stopped plans in SQLite: writes on the single writer connection, reads on the readers.

crate::store::shared_sql::consent_store!(super::super::SqliteStore, writer: writer, reader: reader);
