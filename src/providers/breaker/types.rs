//! The public value types of breakers: state, refusals and snapshots. Their tuning
//! is `config::BreakerSettings`, as the operator writes it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::{Duration, Instant};

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
