//! Time as every layer sees it: the engine's timers and leases read the wall clock,
//! circuit breakers measure windows and cool-downs on the monotonic one. Production
//! uses [`SystemClock`]; tests use a [`ManualClock`] they move forward, so a 24-hour
//! sleep or a 30-second cool-down takes no real time. This module knows no other
//! layer.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Wall-clock now, truncated to microseconds (the precision both databases keep).
    fn now(&self) -> DateTime<Utc>;
    /// Monotonic now, for measuring spans of time (a breaker's window and cool-down)
    /// that must not jump with the wall clock.
    fn instant(&self) -> Instant;
}

fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate(Utc::now())
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// A clock tests move forward with [`ManualClock::advance`]. From [`ManualClock::new`]
/// it is the system clock plus what it was advanced by: time keeps flowing, so
/// timeouts and leases behave normally and jumps skip over long sleeps. From
/// [`ManualClock::stopped_at`] it stands still between jumps, so what a test reads
/// is exact.
#[derive(Debug)]
pub struct ManualClock {
    /// Both readings where the clock stands still; `None` while time flows.
    stopped: Option<(Instant, DateTime<Utc>)>,
    offset: Mutex<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock that starts at the system time and keeps flowing.
    pub fn new() -> Self {
        Self {
            stopped: None,
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// A clock standing at `wall` that moves only when advanced.
    pub fn stopped_at(wall: DateTime<Utc>) -> Self {
        Self {
            stopped: Some((Instant::now(), wall)),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *offset += by;
    }

    fn offset(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let wall = self.stopped.map_or_else(Utc::now, |(_, wall)| wall);
        let offset = chrono::Duration::from_std(self.offset()).unwrap_or(chrono::Duration::zero());
        truncate(wall + offset)
    }

    fn instant(&self) -> Instant {
        let base = self.stopped.map_or_else(Instant::now, |(at, _)| at);
        base + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_jumps_forward_by_what_it_is_told() {
        let clock = ManualClock::new();
        let before = clock.now();
        clock.advance(Duration::from_secs(86_400));
        let gap = clock.now() - before;
        let day = chrono::Duration::hours(24);
        assert!(gap >= day && gap < day + chrono::Duration::seconds(5));
    }

    #[test]
    fn a_stopped_clock_moves_both_readings_only_when_told() {
        let wall = DateTime::from_timestamp(1_740_000_000, 0).unwrap();
        let clock = ManualClock::stopped_at(wall);
        let start = clock.instant();
        assert_eq!(clock.now(), wall);
        clock.advance(Duration::from_secs(30));
        assert_eq!(clock.instant() - start, Duration::from_secs(30));
        assert_eq!(clock.now(), wall + chrono::Duration::seconds(30));
    }
}
