//! The public value types of breakers: settings, state, refusals and snapshots.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Tuning of one breaker.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BreakerSettings {
    /// Failures within `window` that open the breaker; 0 disables this rule.
    pub failure_threshold: u32,
    /// Failure share (0.0-1.0) within `window` that opens the breaker once `min_calls` calls were
    /// seen; 0 disables this rule.
    pub failure_ratio: f32,
    /// Calls needed within `window` before `failure_ratio` applies.
    pub min_calls: u32,
    /// How far back outcomes count.
    #[serde(with = "humantime_serde_compat")]
    pub window: Duration,
    /// Cool-down while open, before trial calls are let through.
    #[serde(with = "humantime_serde_compat")]
    pub open_for: Duration,
    /// Trial calls allowed at once while half-open (at least 1 is always allowed).
    pub half_open_max_calls: u32,
}

/// A breaker's tuning as the operator configured it (`[resilience.breaker]` and
/// its overrides); the conversion lives here so the settings know no provider.
impl From<&crate::config::BreakerConfig> for BreakerSettings {
    fn from(c: &crate::config::BreakerConfig) -> Self {
        Self {
            failure_threshold: c.failure_threshold,
            failure_ratio: c.failure_ratio,
            min_calls: c.min_calls,
            window: c.window,
            open_for: c.open_for,
            half_open_max_calls: c.half_open_max_calls,
        }
    }
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            failure_ratio: 0.5,
            min_calls: 10,
            window: Duration::from_secs(60),
            open_for: Duration::from_secs(30),
            half_open_max_calls: 1,
        }
    }
}

/// Durations in settings are written like `30s` or `2m`.
mod humantime_serde_compat {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls flow normally.
    Closed,
    /// Calls fail fast until the cool-down ends.
    Open,
    /// A limited number of trial calls decide whether to close again.
    HalfOpen,
}

/// The breaker refused a call; the provider is considered down until `retry_at`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("provider {name} is unavailable (circuit open); retry in {retry_after:?}")]
pub struct BreakerOpen {
    /// Breaker (provider) name.
    pub name: String,
    /// Earliest moment a call may be let through.
    pub retry_at: Instant,
    /// `retry_at` as a delay from the refusal.
    pub retry_after: Duration,
}

impl BreakerOpen {
    /// Always true: the provider may recover.
    pub fn is_retryable(&self) -> bool {
        true
    }

    /// How long to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        Some(self.retry_after)
    }
}

/// A point-in-time view of a breaker for the providers endpoint and metrics.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreakerSnapshot {
    /// Breaker (provider) name.
    pub name: String,
    /// Current state.
    pub state: BreakerState,
    /// Failures within the window.
    pub recent_failures: u32,
    /// Calls (with a verdict) within the window.
    pub recent_calls: u32,
    /// The last failure message reported.
    pub last_error: Option<String>,
    /// When the breaker last opened, while open or half-open.
    pub opened_at: Option<DateTime<Utc>>,
    /// When trial calls will be let through, while open.
    pub next_trial_at: Option<DateTime<Utc>>,
    /// Trial calls in flight, while half-open.
    pub trials_in_flight: u32,
    /// State changes since creation.
    pub transitions: u64,
}
