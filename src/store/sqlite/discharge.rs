//! The discharge workflow's cases, summaries, emails and calls in SQLite: writes on the single writer connection, reads on the readers.

crate::store::shared_sql::discharge_store!(super::SqliteStore, writer: writer, reader: reader, row: sqlx::sqlite::SqliteRow);
