//! Trigger limits on PostgreSQL: decisions on one key are serialised by an
//! advisory lock held until the transaction ends, so two routers (a lease changing
//! hands) cannot both take the last slot.

use super::PgStore;

crate::store::shared_sql::trigger_limit_store!(PgStore, writer: pool, reader: pool, lock: "select pg_advisory_xact_lock(hashtextextended($1, 0))");
