//! Step policies: criticality, retries with exponential backoff and jitter, and the
//! deadline of each attempt.

use std::time::Duration;

use rand::Rng;

use crate::config::RetrySettings;

/// How a step is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay before the second attempt.
    pub initial_backoff: Duration,
    /// Growth of the delay per attempt.
    pub multiplier: f64,
    /// Upper bound of the delay.
    pub max_backoff: Duration,
    /// Fraction of each delay randomised (0..=1).
    pub jitter: f64,
}

impl RetryPolicy {
    /// The policy the configuration sets as default.
    pub fn from_settings(s: &RetrySettings) -> Self {
        Self {
            max_attempts: s.max_attempts,
            initial_backoff: s.initial_backoff,
            multiplier: s.multiplier,
            max_backoff: s.max_backoff,
            jitter: s.jitter,
        }
    }

    /// A policy that never retries.
    pub fn no_retries() -> Self {
        Self {
            max_attempts: 1,
            initial_backoff: Duration::ZERO,
            multiplier: 1.0,
            max_backoff: Duration::ZERO,
            jitter: 0.0,
        }
    }

    /// The delay after failed attempt number `attempt` (1-based), without jitter.
    pub fn base_backoff(&self, attempt: u32) -> Duration {
        let exp = self.multiplier.powi(attempt.saturating_sub(1) as i32);
        let secs = self.initial_backoff.as_secs_f64() * exp;
        Duration::from_secs_f64(secs.min(self.max_backoff.as_secs_f64()).max(0.0))
    }

    /// The delay after failed attempt `attempt`, with jitter applied.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self.base_backoff(attempt).as_secs_f64();
        if self.jitter <= 0.0 || base == 0.0 {
            return Duration::from_secs_f64(base);
        }
        let spread = base * self.jitter;
        let jittered = base + rand::thread_rng().gen_range(-spread..=spread);
        Duration::from_secs_f64(jittered.clamp(0.0, self.max_backoff.as_secs_f64().max(base)))
    }
}

/// A step's policy as its definition states it; unset parts take the engine defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepPolicy {
    /// A critical step's failure fails the run and skips what remains.
    pub critical: bool,
    /// Retries; `None` takes `[engine.retry]`.
    pub retry: Option<RetryPolicy>,
    /// Deadline per attempt; `None` takes `engine.attempt_timeout`.
    pub timeout: Option<Duration>,
    /// The handler understands [`StepContext::lost_attempt`](super::StepContext): when the last
    /// attempt never reported, it is called once more to settle what that attempt
    /// recorded, without repeating its side effect. Otherwise the step just fails.
    pub reconciles_lost: bool,
}

impl StepPolicy {
    /// A non-critical step with default retries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks the step critical.
    pub fn critical(mut self) -> Self {
        self.critical = true;
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Sets the per-attempt deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Declares that the handler settles a lost last attempt when called with
    /// [`StepContext::lost_attempt`](super::StepContext) set.
    pub fn reconciles_lost(mut self) -> Self {
        self.reconciles_lost = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            multiplier: 2.0,
            max_backoff: Duration::from_millis(500),
            jitter: 0.2,
        }
    }

    #[test]
    fn backoff_grows_by_the_multiplier_and_stops_at_the_maximum() {
        let p = policy();
        assert_eq!(p.base_backoff(1), Duration::from_millis(100));
        assert_eq!(p.base_backoff(2), Duration::from_millis(200));
        assert_eq!(p.base_backoff(3), Duration::from_millis(400));
        assert_eq!(p.base_backoff(4), Duration::from_millis(500));
    }

    #[test]
    fn jitter_stays_within_its_fraction() {
        let p = policy();
        for _ in 0..200 {
            let d = p.backoff(2).as_millis();
            assert!((160..=240).contains(&d), "{d}");
        }
    }
}
