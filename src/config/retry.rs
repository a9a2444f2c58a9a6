//! The one shape of every retry setting (`[engine.retry]`, `[providers.smtp.retry]`,
//! `[providers.twilio.retry]`, `[providers.outbound.retry]`, `[encounters.retry]`,
//! `[care.retry]`): attempts in all, and an exponential backoff with jitter.

use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::duration;

/// How a failed call or step is tried again.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySettings {
    /// `<section>.retry.max_attempts`: attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// `<section>.retry.initial_backoff`: the wait before the second attempt.
    #[serde(with = "duration")]
    pub initial_backoff: Duration,
    /// `<section>.retry.max_backoff`: the longest wait between two attempts.
    #[serde(with = "duration")]
    pub max_backoff: Duration,
    /// `<section>.retry.multiplier`: growth of the wait per attempt (at least 1).
    pub multiplier: f64,
    /// `<section>.retry.jitter`: fraction of each wait randomised (0 to 1).
    pub jitter: f64,
}

impl RetrySettings {
    /// Rules types cannot express; `section` names the table, e.g. `providers.smtp.retry`.
    pub(super) fn check(&self, section: &str) -> Result<(), String> {
        if self.max_attempts == 0 {
            return Err(format!("{section}.max_attempts: must be at least 1"));
        }
        if self.max_backoff < self.initial_backoff {
            return Err(format!(
                "{section}.max_backoff: must be at least initial_backoff"
            ));
        }
        if self.multiplier.is_nan() || self.multiplier < 1.0 {
            return Err(format!("{section}.multiplier: must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(format!("{section}.jitter: must be between 0 and 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry() -> RetrySettings {
        RetrySettings {
            max_attempts: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            multiplier: 2.0,
            jitter: 0.2,
        }
    }

    #[test]
    fn every_rule_names_its_key_under_the_section() {
        assert_eq!(retry().check("x.retry"), Ok(()));
        type Spoil = fn(&mut RetrySettings);
        let cases: [(Spoil, &str); 4] = [
            (|r| r.max_attempts = 0, "x.retry.max_attempts"),
            (|r| r.max_backoff = Duration::ZERO, "x.retry.max_backoff"),
            (|r| r.multiplier = 0.5, "x.retry.multiplier"),
            (|r| r.jitter = 1.5, "x.retry.jitter"),
        ];
        for (spoil, key) in cases {
            let mut r = retry();
            spoil(&mut r);
            let err = r.check("x.retry").unwrap_err();
            assert!(err.starts_with(key), "{key}: {err}");
        }
    }
}
