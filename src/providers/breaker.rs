//! Circuit breakers, one per outside provider, so a failing provider is answered with a fast
//! "try later" instead of piling up slow, doomed calls.
//!
//! States: **closed** (calls flow; outcomes within a sliding window are counted), **open** (calls
//! fail fast with [`BreakerOpen`] until the cool-down ends), **half-open** (at most
//! `half_open_max_calls` trial calls at once; a trial success closes the breaker, a trial failure
//! opens it again).
//!
//! Every call takes a [`Permit`] and reports its outcome with [`Permit::success`],
//! [`Permit::failure`] or [`Permit::failure_with`]. A permit dropped without a verdict counts as a
//! **failure**: the usual way a call ends without a verdict is a timeout that drops the future,
//! and a slow provider is exactly what the breaker must notice. A call that was abandoned for a
//! reason that says nothing about the provider (the run was cancelled) is reported with
//! [`Permit::release`]. Permanent 4xx answers show the provider is up; report them as success.
//!
//! Outcomes of permits taken before the latest state change are ignored for the state machine,
//! so a slow call that started before the breaker opened cannot re-open a freshly closed one.

mod registry;
mod types;

pub use registry::BreakerRegistry;
pub use types::{BreakerOpen, BreakerSnapshot, BreakerState};

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::config::BreakerSettings;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Upper bound on outcomes remembered in the window, so memory stays bounded under heavy load.
const MAX_WINDOW_ENTRIES: usize = 4096;
/// Longest last-error text kept; callers must not put patient data in it.
const MAX_ERROR_CHARS: usize = 300;

#[derive(Debug)]
enum Phase {
    Closed,
    Open { opened_at: Instant },
    HalfOpen { opened_at: Instant, in_flight: u32 },
}

#[derive(Debug)]
struct Inner {
    phase: Phase,
    /// (when, failed) for calls that reported a verdict while closed.
    window: VecDeque<(Instant, bool)>,
    last_error: Option<String>,
    transitions: u64,
}

/// A circuit breaker guarding one provider. Share it as `Arc<CircuitBreaker>`.
pub struct CircuitBreaker {
    name: String,
    settings: BreakerSettings,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PermitKind {
    Normal,
    Trial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Success,
    Failure,
    Released,
}

/// Leave to make one call through a breaker; report the outcome by consuming it.
#[derive(Debug)]
#[must_use = "report the outcome with success(), failure() or release()"]
pub struct Permit {
    breaker: Arc<CircuitBreaker>,
    kind: PermitKind,
    epoch: u64,
    settled: bool,
}

impl Permit {
    /// The call succeeded (or the provider answered with a permanent client error).
    pub fn success(mut self) {
        self.settle(Verdict::Success, None);
    }

    /// The call failed in a way that suggests the provider is unhealthy.
    pub fn failure(mut self) {
        self.settle(Verdict::Failure, None);
    }

    /// Like [`Permit::failure`], recording `message` as the last error (no patient data).
    pub fn failure_with(mut self, message: impl Into<String>) {
        self.settle(Verdict::Failure, Some(message.into()));
    }

    /// The call was abandoned for reasons unrelated to the provider; nothing is counted.
    pub fn release(mut self) {
        self.settle(Verdict::Released, None);
    }

    fn settle(&mut self, verdict: Verdict, message: Option<String>) {
        self.settled = true;
        self.breaker.record(self.kind, self.epoch, verdict, message);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.settled {
            self.settle(
                Verdict::Failure,
                Some("call ended without reporting an outcome".to_owned()),
            );
        }
    }
}

impl CircuitBreaker {
    /// A closed breaker named after its provider.
    pub fn new(name: impl Into<String>, settings: BreakerSettings, clock: Arc<dyn Clock>) -> Self {
        Self {
            name: name.into(),
            settings,
            clock,
            inner: Mutex::new(Inner {
                phase: Phase::Closed,
                window: VecDeque::new(),
                last_error: None,
                transitions: 0,
            }),
        }
    }

    /// The breaker's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The settings it was built with.
    pub fn settings(&self) -> &BreakerSettings {
        &self.settings
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave Inner half-updated in a harmful way.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks to make a call: a permit, or a fast refusal while the provider is considered down.
    pub fn try_acquire(self: &Arc<Self>) -> Result<Permit, BreakerOpen> {
        let now = self.clock.instant();
        let mut inner = self.lock();
        let max_trials = self.settings.half_open_max_calls.max(1);
        let kind = match inner.phase {
            Phase::Closed => PermitKind::Normal,
            Phase::Open { opened_at } => {
                let trial_at = opened_at + self.settings.open_for;
                if now < trial_at {
                    return Err(self.refusal(now, trial_at));
                }
                self.transition(
                    &mut inner,
                    Phase::HalfOpen {
                        opened_at,
                        in_flight: 1,
                    },
                );
                PermitKind::Trial
            }
            Phase::HalfOpen {
                ref mut in_flight, ..
            } => {
                if *in_flight >= max_trials {
                    // Trials are under way; their verdict is due well within one cool-down.
                    return Err(self.refusal(now, now + self.settings.open_for));
                }
                *in_flight += 1;
                PermitKind::Trial
            }
        };
        let epoch = inner.transitions;
        drop(inner);
        Ok(Permit {
            breaker: Arc::clone(self),
            kind,
            epoch,
            settled: false,
        })
    }

    fn refusal(&self, now: Instant, retry_at: Instant) -> BreakerOpen {
        BreakerOpen {
            name: self.name.clone(),
            retry_at,
            retry_after: retry_at.saturating_duration_since(now),
        }
    }

    fn transition(&self, inner: &mut Inner, next: Phase) {
        let label = match next {
            Phase::Closed => "closed",
            Phase::Open { .. } => "open",
            Phase::HalfOpen { .. } => "half-open",
        };
        inner.phase = next;
        inner.transitions += 1;
        tracing::info!(breaker = %self.name, state = label, "circuit breaker changed state");
    }

    fn record(&self, kind: PermitKind, epoch: u64, verdict: Verdict, message: Option<String>) {
        let now = self.clock.instant();
        let mut inner = self.lock();
        if let Some(message) = message {
            inner.last_error = Some(message.chars().take(MAX_ERROR_CHARS).collect());
        }
        if verdict == Verdict::Released && kind == PermitKind::Trial && epoch == inner.transitions {
            if let Phase::HalfOpen { in_flight, .. } = &mut inner.phase {
                *in_flight = in_flight.saturating_sub(1);
            }
            return;
        }
        if verdict == Verdict::Released || epoch != inner.transitions {
            return;
        }
        match (kind, verdict) {
            (PermitKind::Trial, Verdict::Success) => {
                inner.window.clear();
                self.transition(&mut inner, Phase::Closed);
            }
            (PermitKind::Trial, _) => {
                self.transition(&mut inner, Phase::Open { opened_at: now });
            }
            (PermitKind::Normal, verdict) => {
                let failed = verdict == Verdict::Failure;
                inner.window.push_back((now, failed));
                if inner.window.len() > MAX_WINDOW_ENTRIES {
                    inner.window.pop_front();
                }
                self.prune(&mut inner, now);
                if failed && self.should_open(&inner) {
                    self.transition(&mut inner, Phase::Open { opened_at: now });
                }
            }
        }
    }

    fn prune(&self, inner: &mut Inner, now: Instant) {
        while let Some(&(at, _)) = inner.window.front() {
            if now.saturating_duration_since(at) > self.settings.window {
                inner.window.pop_front();
            } else {
                break;
            }
        }
    }

    fn counts(inner: &Inner) -> (u32, u32) {
        let calls = u32::try_from(inner.window.len()).unwrap_or(u32::MAX);
        let failures =
            u32::try_from(inner.window.iter().filter(|(_, f)| *f).count()).unwrap_or(u32::MAX);
        (failures, calls)
    }

    fn should_open(&self, inner: &Inner) -> bool {
        let (failures, calls) = Self::counts(inner);
        let s = &self.settings;
        let by_count = s.failure_threshold > 0 && failures >= s.failure_threshold;
        let by_ratio = s.failure_ratio > 0.0
            && calls >= s.min_calls.max(1)
            && failures as f32 / calls as f32 >= s.failure_ratio;
        by_count || by_ratio
    }

    /// The breaker's current state, counts and timings.
    pub fn snapshot(&self) -> BreakerSnapshot {
        let now = self.clock.instant();
        let wall_now = self.clock.now();
        let to_wall = |at: Instant| -> DateTime<Utc> {
            let ago = now.saturating_duration_since(at);
            wall_now - chrono::Duration::from_std(ago).unwrap_or(chrono::Duration::zero())
        };
        let mut inner = self.lock();
        self.prune(&mut inner, now);
        let (recent_failures, recent_calls) = Self::counts(&inner);
        let (state, opened_at, next_trial_at, trials_in_flight) = match inner.phase {
            Phase::Closed => (BreakerState::Closed, None, None, 0),
            Phase::Open { opened_at } => {
                let trial_at = opened_at + self.settings.open_for;
                let trial_wall = wall_now
                    + chrono::Duration::from_std(trial_at.saturating_duration_since(now))
                        .unwrap_or(chrono::Duration::zero());
                (
                    BreakerState::Open,
                    Some(to_wall(opened_at)),
                    Some(trial_wall),
                    0,
                )
            }
            Phase::HalfOpen {
                opened_at,
                in_flight,
            } => (
                BreakerState::HalfOpen,
                Some(to_wall(opened_at)),
                None,
                in_flight,
            ),
        };
        BreakerSnapshot {
            name: self.name.clone(),
            state,
            recent_failures,
            recent_calls,
            last_error: inner.last_error.clone(),
            opened_at,
            next_trial_at,
            trials_in_flight,
            transitions: inner.transitions,
        }
    }
}

#[cfg(test)]
mod tests;
