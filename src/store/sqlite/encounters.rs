//! The encounter workflow's tables in SQLite: writes on the single writer connection, reads on the readers.

crate::store::shared_sql::encounter_store!(super::SqliteStore, writer: writer, reader: reader);
