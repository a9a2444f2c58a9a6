//! Tenants' Twilio numbers, inbound routing and unrouted replies in SQLite: writes on the single writer connection, reads on the readers.

crate::store::shared_sql::routing_store!(super::super::SqliteStore, writer: writer, reader: reader);
