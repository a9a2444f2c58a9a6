//! Outreach plans, attempts and interactions in SQLite: writes on the single writer connection, reads on the readers.

crate::store::shared_sql::outreach_store!(super::super::SqliteStore, writer: writer, reader: reader);
