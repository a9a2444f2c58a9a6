//! `[resilience]`: circuit breakers of the outside providers.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::duration;
use crate::providers::breaker::BreakerSettings;

/// One breaker's tuning.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerConfig {
    /// Failures within `window` that open the breaker (0 disables the rule).
    pub failure_threshold: u32,
    /// Failure share within `window` that opens it once `min_calls` were seen (0 disables).
    pub failure_ratio: f32,
    /// Calls needed before `failure_ratio` applies.
    pub min_calls: u32,
    /// How far back outcomes count.
    #[serde(with = "duration")]
    pub window: Duration,
    /// Cool-down while open, before trial calls.
    #[serde(with = "duration")]
    pub open_for: Duration,
    /// Trial calls at once while half-open.
    pub half_open_max_calls: u32,
}

impl BreakerConfig {
    /// As the breaker takes it.
    pub fn to_settings(&self) -> BreakerSettings {
        BreakerSettings {
            failure_threshold: self.failure_threshold,
            failure_ratio: self.failure_ratio,
            min_calls: self.min_calls,
            window: self.window,
            open_for: self.open_for,
            half_open_max_calls: self.half_open_max_calls,
        }
    }
}

/// `[resilience]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResilienceSettings {
    /// `[resilience.breaker]`: every provider's breaker unless overridden.
    pub breaker: BreakerConfig,
    /// `[resilience.providers.<name>]`: per-provider breakers (`llm`, `smtp`, `voice`,
    /// `sms`, `amion`, `fhir`, `outbound`).
    #[serde(default)]
    pub providers: BTreeMap<String, BreakerConfig>,
}
