//! `[resilience]`: the circuit breakers of the outside providers. `[resilience.breaker]`
//! tunes every breaker; a provider's `[providers.<name>.breaker]` and one breaker's
//! `[resilience.endpoints."<name>"]` change only the keys they name.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::{duration, optional_duration};

/// One breaker's tuning, as configured and as the breaker uses it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSettings {
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

/// The keys of a breaker that differ from `[resilience.breaker]`; a key not given
/// keeps the default, so one environment variable alone is a whole override.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerOverride {
    /// See [`BreakerSettings::failure_threshold`].
    #[serde(default)]
    pub failure_threshold: Option<u32>,
    /// See [`BreakerSettings::failure_ratio`].
    #[serde(default)]
    pub failure_ratio: Option<f32>,
    /// See [`BreakerSettings::min_calls`].
    #[serde(default)]
    pub min_calls: Option<u32>,
    /// See [`BreakerSettings::window`].
    #[serde(default, with = "optional_duration")]
    pub window: Option<Duration>,
    /// See [`BreakerSettings::open_for`].
    #[serde(default, with = "optional_duration")]
    pub open_for: Option<Duration>,
    /// See [`BreakerSettings::half_open_max_calls`].
    #[serde(default)]
    pub half_open_max_calls: Option<u32>,
}

impl BreakerOverride {
    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

impl BreakerSettings {
    /// These defaults with the keys `changes` names replaced.
    pub fn merged(&self, changes: &BreakerOverride) -> BreakerSettings {
        BreakerSettings {
            failure_threshold: changes.failure_threshold.unwrap_or(self.failure_threshold),
            failure_ratio: changes.failure_ratio.unwrap_or(self.failure_ratio),
            min_calls: changes.min_calls.unwrap_or(self.min_calls),
            window: changes.window.unwrap_or(self.window),
            open_for: changes.open_for.unwrap_or(self.open_for),
            half_open_max_calls: changes
                .half_open_max_calls
                .unwrap_or(self.half_open_max_calls),
        }
    }
}

/// `[resilience]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResilienceSettings {
    /// `[resilience.breaker]`: every breaker unless overridden.
    pub breaker: BreakerSettings,
    /// `[resilience.endpoints."<breaker>"]`: one breaker's own keys (`"fhir:north"`
    /// for the FHIR source named north, `"outbound:partner.example.com:443"` for one
    /// host), merged over its provider's `breaker` and the defaults.
    #[serde(default)]
    pub endpoints: BTreeMap<String, BreakerOverride>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_changes_only_the_keys_it_names() {
        let defaults = crate::config::Settings::defaults().resilience.breaker;
        let merged = defaults.merged(&BreakerOverride {
            failure_threshold: Some(3),
            ..BreakerOverride::default()
        });
        assert_eq!(merged.failure_threshold, 3);
        assert_eq!(merged.failure_ratio, defaults.failure_ratio);
        assert_eq!(merged.min_calls, defaults.min_calls);
        assert_eq!(merged.window, defaults.window);
        assert_eq!(merged.open_for, defaults.open_for);
        assert_eq!(merged.half_open_max_calls, defaults.half_open_max_calls);
    }
}
