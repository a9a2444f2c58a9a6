//! Tenants' Twilio numbers, inbound routing and unrouted replies in PostgreSQL: the shared statements on the one pool.

crate::store::shared_sql::routing_store!(super::super::PgStore, writer: pool, reader: pool);
