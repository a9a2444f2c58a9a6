//! `[providers.amion]`: where the Amion roster service is and how the schedule
//! import asks it for assignments.

use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::duration;
use super::{BreakerOverride, Secret};

/// `[providers.amion]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmionSettings {
    /// `providers.amion.base_url` (`CAREFLOW_PROVIDERS__AMION__BASE_URL`), default empty:
    /// Amion is not configured and imports store no assignments, saying so.
    pub base_url: String,
    /// `providers.amion.login` (`CAREFLOW_PROVIDERS__AMION__LOGIN`), default empty: the
    /// group's viewing password, used when an import does not give `amionLogin`.
    pub login: Secret,
    /// `providers.amion.days_per_request` (`CAREFLOW_PROVIDERS__AMION__DAYS_PER_REQUEST`),
    /// default 31: a schedule's date range is fetched in requests of at most this many days.
    pub days_per_request: u32,
    /// `providers.amion.max_days` (`CAREFLOW_PROVIDERS__AMION__MAX_DAYS`), default 366: the
    /// longest date range fetched for one import; a longer schedule gets a warning instead.
    pub max_days: u32,
    /// `providers.amion.timeout` (`CAREFLOW_PROVIDERS__AMION__TIMEOUT`), default 20s: the
    /// deadline of one request; below `engine.attempt_timeout`.
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// `[providers.amion.breaker]`: breaker keys that differ from the defaults.
    #[serde(default)]
    pub breaker: BreakerOverride,
}

impl AmionSettings {
    /// True when a base URL is set.
    pub fn is_configured(&self) -> bool {
        !self.base_url.trim().is_empty()
    }

    /// Rules types cannot express; `attempt_timeout` is the engine's step deadline.
    pub fn check(&self, attempt_timeout: Duration) -> Result<(), String> {
        let base = self.base_url.trim();
        let web = base.starts_with("http://") || base.starts_with("https://");
        if !base.is_empty() && (!web || url::Url::parse(base).is_err()) {
            return Err("providers.amion.base_url: must be an absolute http(s) URL".into());
        }
        if !(1..=366).contains(&self.days_per_request) {
            return Err("providers.amion.days_per_request: must be between 1 and 366".into());
        }
        if self.max_days == 0 {
            return Err("providers.amion.max_days: must be at least 1".into());
        }
        if self.timeout.is_zero() || self.timeout >= attempt_timeout {
            return Err(
                "providers.amion.timeout: must be non-zero and below engine.attempt_timeout, so a slow answer becomes a warning rather than a timed-out step"
                    .into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> AmionSettings {
        AmionSettings {
            base_url: String::new(),
            login: Secret::default(),
            days_per_request: 31,
            max_days: 366,
            timeout: Duration::from_secs(20),
            breaker: BreakerOverride::default(),
        }
    }

    #[test]
    fn an_empty_base_url_means_not_configured_and_is_valid() {
        let s = settings();
        assert!(!s.is_configured());
        assert_eq!(s.check(Duration::from_secs(30)), Ok(()));
    }

    #[test]
    fn a_timeout_at_or_above_the_step_deadline_is_refused() {
        let mut s = settings();
        s.timeout = Duration::from_secs(30);
        let err = s.check(Duration::from_secs(30)).unwrap_err();
        assert!(err.starts_with("providers.amion.timeout"), "{err}");
    }

    #[test]
    fn bad_urls_and_zero_day_requests_are_refused_with_the_key_named() {
        let mut s = settings();
        s.base_url = "ftp://amion.example".into();
        assert!(
            s.check(Duration::from_secs(30))
                .unwrap_err()
                .contains("base_url")
        );
        let mut s = settings();
        s.days_per_request = 0;
        assert!(
            s.check(Duration::from_secs(30))
                .unwrap_err()
                .contains("days_per_request")
        );
    }
}
