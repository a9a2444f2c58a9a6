//! The notification log and daily send counts in SQLite: writes on the single writer connection, reads on the readers.

crate::store::shared_sql::notification_store!(super::super::SqliteStore, writer: writer, reader: reader);
