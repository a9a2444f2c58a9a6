//! When a pooled connection is tested before a statement uses it.
//!
//! sqlx tests a connection with a round trip to the database as it goes back to the
//! pool, and by default once more as it is taken out. On the hot path that second
//! test is a round trip before every statement, for a connection tested moments
//! before. Here a connection is tested at take-out only once it has been idle for
//! `database.test_after_idle`; `0s` keeps sqlx's test of every take-out.
//!
//! A connection cut sooner after its release (a restart, a failover, an operator
//! ending sessions) fails the one statement it is given. That statement may carry a
//! group of submissions or step commits, and each of them fails with it: a request
//! answers 503 with `Retry-After`, an engine write of a step's outcome is retried like
//! any outage, a store call inside a step fails that attempt. The connection is then
//! closed on its return rather than pooled again. sqlx's idle reaper (every ten
//! minutes) also puts idle connections back without a test, restarting their idle
//! time, so a connection cut long before can pass as fresh right after a pass.

use sqlx::Connection;
use sqlx::pool::PoolOptions;

use crate::config::DatabaseSettings;

/// The options every pool of a store starts from: `database.acquire_timeout`, and a
/// connection tested before use only once it has been idle for
/// `database.test_after_idle` (every time when that is zero).
pub(super) fn pool_options<DB: sqlx::Database>(settings: &DatabaseSettings) -> PoolOptions<DB> {
    let after = settings.test_after_idle;
    PoolOptions::new()
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(move |conn: &mut DB::Connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= after {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}
