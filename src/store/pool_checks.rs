//! When a pooled connection is tested before a statement uses it.
//!
//! sqlx tests a connection with a round trip to the database as it goes back to the
//! pool, and by default once more as it is taken out. On the hot path that second
//! test is a round trip before every statement (at one client, a run's six commits
//! waited for six of them) for a connection tested moments before. A connection
//! idle for longer than [`TESTED_AFTER_IDLE`] is still tested: that is when one is
//! likely to have been cut (a database restart, a failover, a proxy's idle timeout).
//! One cut in the short window after its release fails the statement it was given,
//! which answers 503 or, for the engine's writes, is retried like any other outage,
//! and the failed connection is closed rather than pooled again.

use std::time::Duration;

use sqlx::Connection;
use sqlx::pool::PoolOptions;

/// How long a connection may sit idle in the pool and still be used untested.
pub(super) const TESTED_AFTER_IDLE: Duration = Duration::from_secs(1);

/// `options` with a connection tested before use only after [`TESTED_AFTER_IDLE`].
pub(super) fn tested_after_idle<DB: sqlx::Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= TESTED_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}
