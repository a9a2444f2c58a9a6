//! What a connection is doing, and when it has been quiet for too long.
//!
//! A connection is in one of three phases:
//! - *waiting for a request head*: from accept, or from the first byte after an
//!   idle spell, it has `header_read_timeout` to deliver a complete head;
//! - *serving*: a request is in flight (its handler runs or its response body is
//!   still being sent, SSE streams included): no deadline here, the request timeout
//!   and the handlers own that time;
//! - *idle*: a keep-alive connection between requests, with no byte since the last
//!   response ended: it is closed after `idle_timeout`.
//!
//! It knows nothing about HTTP parsing; the IO wrapper reports bytes read and the
//! service wrapper reports requests begun and finished.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The two limits a connection is held to.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// How long a client may take to send a complete request head.
    pub header_read: Duration,
    /// How long a keep-alive connection may stay open with nothing to do.
    pub idle: Duration,
}

/// Why a connection was closed by its watchdog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// A request head did not arrive in time.
    HeaderRead,
    /// No request came for the idle timeout.
    Idle,
}

impl Expiry {
    /// A name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Expiry::HeaderRead => "header_read_timeout",
            Expiry::Idle => "idle_timeout",
        }
    }
}

#[derive(Debug)]
struct Phase {
    /// Requests whose response has not been fully sent (more than one only when a
    /// client pipelines).
    in_flight: usize,
    /// When the last response ended (or the connection was accepted).
    idle_since: Instant,
    /// When the first byte of the next request head arrived, if one did.
    head_since: Option<Instant>,
}

impl Phase {
    /// When the connection must be closed, and why; `None` while serving.
    fn deadline(&self, t: Timeouts) -> Option<(Instant, Expiry)> {
        if self.in_flight > 0 {
            return None;
        }
        Some(match self.head_since {
            Some(since) => (since + t.header_read, Expiry::HeaderRead),
            None => (self.idle_since + t.idle, Expiry::Idle),
        })
    }
}

/// One connection's activity, shared by its IO, its service and its watchdog.
#[derive(Debug)]
pub struct Activity {
    // A plain mutex: each access is a few field updates, never held across an await,
    // and only this connection's tasks touch it.
    phase: Mutex<Phase>,
    /// Wakes the watchdog when its deadline may have moved earlier or appeared.
    changed: Notify,
}

impl Activity {
    /// A freshly accepted connection: it owes a request head from now on, so a
    /// client that connects and says nothing is held to the header-read timeout.
    pub fn accepted() -> Arc<Self> {
        let now = Instant::now();
        Arc::new(Self {
            phase: Mutex::new(Phase {
                in_flight: 0,
                idle_since: now,
                head_since: Some(now),
            }),
            changed: Notify::new(),
        })
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        // The guarded data is plain numbers: usable even after a panic elsewhere.
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes arrived from the client.
    pub fn read(&self) {
        let mut phase = self.phase();
        if phase.in_flight == 0 && phase.head_since.is_none() {
            phase.head_since = Some(Instant::now());
            drop(phase);
            // The header deadline is usually earlier than the idle one it replaces.
            self.changed.notify_one();
        }
    }

    /// A request head was parsed and handed to the router; the returned guard is
    /// dropped once its response has been sent (or abandoned).
    pub fn begin(self: &Arc<Self>) -> InFlight {
        let mut phase = self.phase();
        phase.in_flight += 1;
        phase.head_since = None;
        InFlight(self.clone())
    }

    fn end(&self) {
        let mut phase = self.phase();
        phase.in_flight = phase.in_flight.saturating_sub(1);
        if phase.in_flight == 0 {
            phase.idle_since = Instant::now();
            phase.head_since = None;
        }
        drop(phase);
        self.changed.notify_one();
    }

    /// Resolves when the connection has outstayed a limit; never while serving.
    pub async fn expired(&self, t: Timeouts) -> Expiry {
        loop {
            let deadline = self.phase().deadline(t);
            // A notification sent between reading the phase and waiting here is kept
            // as a permit by `notify_one`, so no change is missed.
            match deadline {
                None => self.changed.notified().await,
                Some((at, _)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {
                            // Activity may have moved the deadline while we slept.
                            if let Some((at, why)) = self.phase().deadline(t)
                                && at <= Instant::now()
                            {
                                return why;
                            }
                        }
                        () = self.changed.notified() => {}
                    }
                }
            }
        }
    }
}

/// A request in flight on a connection; dropping it marks the request finished.
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(75),
    };

    fn deadline(a: &Activity) -> Option<(Instant, Expiry)> {
        a.phase().deadline(T)
    }

    #[test]
    fn a_new_connection_owes_its_head_within_the_header_timeout() {
        let before = Instant::now();
        let a = Activity::accepted();
        let (at, why) = deadline(&a).unwrap();
        assert_eq!(why, Expiry::HeaderRead);
        assert!(at >= before + T.header_read && at <= Instant::now() + T.header_read);
    }

    #[test]
    fn a_request_in_flight_has_no_deadline_and_its_end_starts_the_idle_clock() {
        let a = Activity::accepted();
        let request = a.begin();
        assert_eq!(deadline(&a), None);
        // Bytes of a request body (or a pipelined request) change nothing.
        a.read();
        assert_eq!(deadline(&a), None);
        let ended = Instant::now();
        drop(request);
        let (at, why) = deadline(&a).unwrap();
        assert_eq!(why, Expiry::Idle);
        assert!(at >= ended + T.idle);
    }

    #[test]
    fn the_first_byte_after_an_idle_spell_starts_the_header_clock_and_later_ones_do_not() {
        let a = Activity::accepted();
        drop(a.begin());
        a.read();
        let (first, why) = deadline(&a).unwrap();
        assert_eq!(why, Expiry::HeaderRead);
        a.read();
        assert_eq!(deadline(&a), Some((first, Expiry::HeaderRead)));
    }

    #[test]
    fn pipelined_requests_keep_the_connection_busy_until_the_last_ends() {
        let a = Activity::accepted();
        let one = a.begin();
        let two = a.begin();
        drop(one);
        assert_eq!(deadline(&a), None);
        drop(two);
        assert_eq!(deadline(&a).map(|(_, why)| why), Some(Expiry::Idle));
    }

    #[tokio::test]
    async fn the_watchdog_fires_once_the_deadline_passes() {
        let quick = Timeouts {
            header_read: Duration::from_millis(1),
            idle: Duration::from_millis(1),
        };
        let a = Activity::accepted();
        assert_eq!(a.expired(quick).await, Expiry::HeaderRead);
        drop(a.begin());
        assert_eq!(a.expired(quick).await, Expiry::Idle);
    }
}
