//! How long this replica still holds a run, as far as it knows, and retrying store
//! writes for as long as it does.
//!
//! A run's lease ends at the latest of the end its executor last wrote and the end
//! the replica's heartbeat last wrote for all its runs. While the database is
//! unreachable neither moves, and no other replica can claim the run before that
//! time. So a replica that still holds its lease keeps retrying the commit of a
//! step's outcome (and a step keeps retrying the write that records a side effect)
//! until the lease would lapse: a database blip shorter than the lease then costs
//! no repeated side effect. Only a replica that lost its lease (the fence says so,
//! or the lease has lapsed) gives up, leaving the run to whoever claims it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::store::StoreResult;

/// The first pause between retries; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(50);
/// The longest pause between retries.
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// What this replica knows of the end of one run's lease.
#[derive(Clone)]
pub(crate) struct LeaseWatch {
    /// The end the executor last wrote, in milliseconds since the epoch.
    own: Arc<AtomicI64>,
    /// The end the heartbeat last wrote for every run of the replica.
    renewed: Arc<AtomicI64>,
    clock: Arc<dyn Clock>,
}

impl LeaseWatch {
    /// Watches a run held until `held_until`, renewed by the heartbeat's `renewed`.
    pub(crate) fn new(
        held_until: Option<DateTime<Utc>>,
        renewed: Arc<AtomicI64>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let own = held_until.map_or(0, |t| t.timestamp_millis());
        Self {
            own: Arc::new(AtomicI64::new(own)),
            renewed,
            clock,
        }
    }

    /// The executor wrote a lease ending at `until`.
    pub(crate) fn extend(&self, until: DateTime<Utc>) {
        self.own
            .fetch_max(until.timestamp_millis(), Ordering::Relaxed);
    }

    /// True once the lease would have lapsed, so another replica may hold the run.
    pub(crate) fn lapsed(&self) -> bool {
        let until = self
            .own
            .load(Ordering::Relaxed)
            .max(self.renewed.load(Ordering::Relaxed));
        self.clock.now().timestamp_millis() >= until
    }

    /// Runs `op` until it succeeds, fails in a way no retry mends, or the lease
    /// would lapse; transient failures (the database unreachable) are retried with
    /// a growing pause. `what` names the write in the log.
    pub(crate) async fn retry<T, F, Fut>(&self, what: &str, mut op: F) -> StoreResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        let mut pause = FIRST_PAUSE;
        let mut tries: u32 = 0;
        loop {
            tries += 1;
            match op().await {
                Ok(v) => {
                    if tries > 1 {
                        tracing::info!(tries, "{what} succeeded after the database came back");
                    }
                    return Ok(v);
                }
                Err(e) if e.is_transient() && !self.lapsed() => {
                    if tries == 1 || tries.is_power_of_two() {
                        tracing::warn!(error = %e, tries, "{what} failed; retrying while the lease holds");
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The heartbeat's record of the lease end it last wrote for every run it holds.
pub(crate) fn renewed_until(renewed: &AtomicI64, until: DateTime<Utc>) {
    renewed.fetch_max(until.timestamp_millis(), Ordering::Relaxed);
}

/// True when less than half a lease is left of what the heartbeat last wrote (by
/// the engine's clock): the heartbeat fell behind, and runs this replica is
/// executing are about to look orphaned to a claim.
pub(crate) fn renewal_overdue(renewed: &AtomicI64, now: DateTime<Utc>, ttl: Duration) -> bool {
    let half = i64::try_from(ttl.as_millis() / 2).unwrap_or(i64::MAX);
    renewed.load(Ordering::Relaxed).saturating_sub(half) <= now.timestamp_millis()
}

/// A lease watch that never lapses, for code paths without a lease.
#[cfg(test)]
pub(crate) fn unbounded(clock: Arc<dyn Clock>) -> LeaseWatch {
    LeaseWatch::new(
        Some(DateTime::<Utc>::MAX_UTC),
        Arc::new(AtomicI64::new(0)),
        clock,
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;
    use crate::engine::ManualClock;
    use crate::store::StoreError;

    fn transient() -> StoreError {
        StoreError::Unavailable(sqlx::Error::PoolTimedOut)
    }

    #[tokio::test]
    async fn a_write_is_retried_while_the_lease_holds() {
        let clock = Arc::new(ManualClock::new());
        let watch = LeaseWatch::new(
            Some(clock.now() + chrono::Duration::seconds(60)),
            Arc::new(AtomicI64::new(0)),
            clock.clone(),
        );
        let tries = AtomicU32::new(0);
        let done = watch
            .retry("a write", || async {
                if tries.fetch_add(1, Ordering::Relaxed) < 4 {
                    Err(transient())
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(done.unwrap(), 7);
        assert_eq!(tries.load(Ordering::Relaxed), 5);
    }

    #[tokio::test]
    async fn a_write_gives_up_once_the_lease_would_have_lapsed_or_when_it_cannot_succeed() {
        let clock = Arc::new(ManualClock::new());
        let renewed = Arc::new(AtomicI64::new(0));
        let watch = LeaseWatch::new(Some(clock.now()), renewed.clone(), clock.clone());
        let failed: StoreResult<()> = watch.retry("a write", || async { Err(transient()) }).await;
        assert!(failed.is_err(), "the lease has lapsed: no retry");

        // The heartbeat renewed the lease: retried until the clock passes it.
        renewed_until(&renewed, clock.now() + chrono::Duration::seconds(5));
        let tries = AtomicU32::new(0);
        let failed: StoreResult<()> = watch
            .retry("a write", || async {
                if tries.fetch_add(1, Ordering::Relaxed) == 3 {
                    clock.advance(Duration::from_secs(5));
                }
                Err(transient())
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(tries.load(Ordering::Relaxed), 4);

        let lost: StoreResult<()> = unbounded(clock.clone())
            .retry("a write", || async { Err(StoreError::LeaseLost) })
            .await;
        assert!(matches!(lost, Err(StoreError::LeaseLost)));
    }

    #[test]
    fn a_renewal_is_overdue_once_half_the_lease_is_spent_by_the_clock() {
        let clock = ManualClock::new();
        let ttl = Duration::from_secs(60);
        let renewed = AtomicI64::new(0);
        assert!(renewal_overdue(&renewed, clock.now(), ttl), "never renewed");
        renewed_until(&renewed, clock.now() + chrono::Duration::seconds(60));
        assert!(!renewal_overdue(&renewed, clock.now(), ttl));
        clock.advance(Duration::from_secs(29));
        assert!(!renewal_overdue(&renewed, clock.now(), ttl));
        clock.advance(Duration::from_secs(2));
        assert!(renewal_overdue(&renewed, clock.now(), ttl));
        clock.advance(Duration::from_secs(3600));
        assert!(
            renewal_overdue(&renewed, clock.now(), ttl),
            "the clock jumped"
        );
    }
}
