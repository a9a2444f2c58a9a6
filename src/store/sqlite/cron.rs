//! Cron schedules on SQLite: the shared statements behind the single writer.

crate::store::shared_sql::cron_store!(super::SqliteStore, writer: writer, reader: reader, lock: "");
