//! Time sources for breakers: the system clock in production, a hand-driven clock in tests.

use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where a breaker reads the time: monotonic for decisions, wall-clock for snapshots.
pub trait Clock: Send + Sync {
    /// Monotonic now, used for every decision.
    fn now(&self) -> Instant;
    /// Wall-clock now, used only to report times in snapshots.
    fn utc_now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn utc_now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to, so tests never sleep.
#[derive(Debug)]
pub struct ManualClock {
    at: Mutex<(Instant, DateTime<Utc>)>,
}

impl ManualClock {
    /// A clock standing at the given wall-clock time.
    pub fn new(wall: DateTime<Utc>) -> Self {
        Self {
            at: Mutex::new((Instant::now(), wall)),
        }
    }

    /// Moves both readings forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut at = self.at.lock().unwrap_or_else(|e| e.into_inner());
        at.0 += by;
        at.1 += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::zero());
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.at.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    fn utc_now(&self) -> DateTime<Utc> {
        self.at.lock().unwrap_or_else(|e| e.into_inner()).1
    }
}
