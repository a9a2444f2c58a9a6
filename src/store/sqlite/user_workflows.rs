//! Tenants' workflow definitions on SQLite: the shared statements behind the
//! single writer.

crate::store::shared_sql::user_workflow_store!(super::SqliteStore, writer: writer, reader: reader);
