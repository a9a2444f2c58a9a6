//! Knowing when the engine has nothing left to do right now: no run claimed or
//! executing on this replica (a run waiting here for a timer that is not due yet
//! does not count), no run due by the engine's clock, and every committed event
//! readable and routed. Tests wait for it instead of sleeping, to show that something did *not*
//! happen: once the engine is idle, whatever was going to happen by the current
//! clock has happened.
//!
//! The checks read several places one after the other while work moves between
//! them, so a pass also reads a progress counter before and after: every step that
//! could move work back to a place already read (an executor ending or parking for
//! a timer, the router finishing a batch, a claim) counts, and a pass that saw the
//! counter move proves nothing and is repeated.

use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Engine, Inner};
use crate::store::RunId;

/// The router has not tried for its lease yet.
const ROUTER_UNKNOWN: i64 = -2;
/// Another replica holds the router lease.
const ROUTER_ELSEWHERE: i64 = -1;

/// How many unrouted events [`Engine::until_idle`] counts at most.
const UNROUTED_COUNTED: i64 = 100;

/// How often [`Engine::until_idle`] looks again.
const RECHECK: Duration = Duration::from_millis(15);

/// What the engine still had to do when [`Engine::until_idle`] gave up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Busy {
    /// Runs claimed or executing on this replica (not counting runs waiting here
    /// for a timer that is not due).
    pub executing: usize,
    /// Runs due by the engine's clock that nobody has claimed.
    pub due: i64,
    /// Readable events this replica's router has not routed yet, counted up to 100
    /// (or `-1` when the router has not yet learnt whether it routes here).
    pub unrouted: i64,
    /// Work moved between the checks (kept only while it keeps moving).
    pub moving: bool,
    /// A store read that failed.
    pub error: Option<String>,
}

impl Busy {
    /// True when nothing is left to do by the current clock.
    pub fn is_idle(&self) -> bool {
        self.executing == 0
            && self.due == 0
            && self.unrouted == 0
            && !self.moving
            && self.error.is_none()
    }
}

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} run(s) executing here, {} run(s) due, {} event(s) unrouted{}",
            self.executing,
            self.due,
            self.unrouted,
            if self.moving { ", work moving" } else { "" }
        )?;
        if let Some(e) = &self.error {
            write!(f, ", store error: {e}")?;
        }
        Ok(())
    }
}

/// The engine's bookkeeping for idleness.
pub(super) struct IdleState {
    /// Counts every move of work that a pass could miss.
    progress: AtomicU64,
    /// Runs whose executor waits here for a timer, and when it is due.
    timers: std::sync::Mutex<std::collections::HashMap<RunId, DateTime<Utc>>>,
    /// The position this replica's router has routed up to, or one of
    /// `ROUTER_UNKNOWN` / `ROUTER_ELSEWHERE`.
    routed: AtomicI64,
}

impl Default for IdleState {
    fn default() -> Self {
        Self {
            progress: AtomicU64::new(0),
            timers: Default::default(),
            routed: AtomicI64::new(ROUTER_UNKNOWN),
        }
    }
}

impl IdleState {
    /// Work moved somewhere a pass may already have looked.
    pub(super) fn moved(&self) {
        self.progress.fetch_add(1, Ordering::SeqCst);
    }

    /// An executor waits for its run's timer, due at `until`.
    pub(super) fn timer_set(&self, run: RunId, until: DateTime<Utc>) {
        self.timers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(run, until);
        self.moved();
    }

    /// The executor stopped waiting for its timer.
    pub(super) fn timer_done(&self, run: RunId) {
        self.timers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&run);
    }

    /// The router holds its lease and has routed up to `position`.
    pub(super) fn routed_to(&self, position: i64) {
        self.set_routed(position);
    }

    /// Another replica routes events.
    pub(super) fn routed_elsewhere(&self) {
        self.set_routed(ROUTER_ELSEWHERE);
    }

    /// Only a change counts as progress: the router passes often with nothing new.
    fn set_routed(&self, value: i64) {
        if self.routed.swap(value, Ordering::SeqCst) != value {
            self.moved();
        }
    }

    /// Executors waiting for a timer that is not due at `now`.
    fn waiting_for_timers(&self, now: DateTime<Utc>) -> usize {
        self.timers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|until| **until > now)
            .count()
    }
}

impl Engine {
    /// Waits until the engine is idle (see [`Busy`]): nothing claimed or executing
    /// on this replica, nothing due by the engine's clock, every committed event
    /// routed (when this replica routes). Returns as soon as it is; gives up after
    /// `within`, answering what was still busy. It wakes the engine's loops while it
    /// waits, as [`Engine::poke`] does, so a clock moved just before takes effect.
    ///
    /// Meant for tests and tools that must know that nothing more will happen until
    /// the clock moves or new input arrives. Work another replica holds is its own
    /// business: ask that replica.
    pub async fn until_idle(&self, within: Duration) -> Result<(), Busy> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let busy = self.busy().await;
            if busy.is_idle() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(busy);
            }
            self.poke();
            tokio::time::sleep(RECHECK).await;
        }
    }

    /// One pass over everything that could still be busy. Reads in the order work
    /// flows backwards (events to route, then runs due, then executors), so work
    /// moving forward during the pass is seen where it arrives.
    async fn busy(&self) -> Busy {
        let inner: &Inner = &self.inner;
        let idle = &inner.idle;
        let before = idle.progress.load(Ordering::SeqCst);
        let mut busy = Busy::default();
        let now = inner.clock.now();

        // Events committed so far are announced once readable (what the event pump
        // does), so the router's progress can be compared with the last of them;
        // committed events still waiting for an older transaction keep it busy.
        match inner.store.sequence_events().await {
            Ok(seen) if seen.waiting => busy.moving = true,
            Ok(_) => {}
            Err(e) => busy.error = Some(e.to_string()),
        }
        match idle.routed.load(Ordering::SeqCst) {
            ROUTER_ELSEWHERE => {}
            ROUTER_UNKNOWN => busy.unrouted = -1,
            // Positions are not dense (PostgreSQL spaces them by transaction), so the
            // events are counted rather than the positions between.
            routed => match inner.store.events_after(routed, UNROUTED_COUNTED).await {
                Ok(rest) => busy.unrouted = rest.len() as i64,
                Err(e) => busy.error = Some(e.to_string()),
            },
        }
        match inner.store.due_runs(now).await {
            Ok(n) => busy.due = n,
            Err(e) => busy.error = Some(e.to_string()),
        }
        let held = inner
            .settings
            .max_concurrent_runs
            .saturating_sub(inner.slots.available_permits());
        busy.executing = held.saturating_sub(idle.waiting_for_timers(now));

        if idle.progress.load(Ordering::SeqCst) != before {
            busy.moving = true;
        }
        busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_timers_not_yet_due_count_as_waiting() {
        let state = IdleState::default();
        let now = Utc::now();
        state.timer_set(
            RunId(uuid::Uuid::new_v4()),
            now + chrono::Duration::seconds(1),
        );
        let due = RunId(uuid::Uuid::new_v4());
        state.timer_set(due, now);
        assert_eq!(state.waiting_for_timers(now), 1);
        state.timer_done(due);
        assert_eq!(state.waiting_for_timers(now), 1);
        assert_eq!(
            state.waiting_for_timers(now + chrono::Duration::seconds(1)),
            0
        );
    }

    #[test]
    fn idle_means_nothing_at_all_is_left() {
        assert!(Busy::default().is_idle());
        let moving = Busy {
            moving: true,
            ..Busy::default()
        };
        assert!(!moving.is_idle());
        assert_eq!(
            Busy {
                due: 2,
                ..Busy::default()
            }
            .to_string(),
            "0 run(s) executing here, 2 run(s) due, 0 event(s) unrouted"
        );
    }
}
