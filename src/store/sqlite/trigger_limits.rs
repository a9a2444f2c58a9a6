//! Trigger limits on SQLite: the single writer serialises decisions.

use super::SqliteStore;

crate::store::shared_sql::trigger_limit_store!(SqliteStore, writer: writer, reader: reader, lock: "");
