//! `[email]`: where owner emails go when no SMTP server is configured, how they
//! are signed, and how often a failed delivery is retried. Also the retry shape
//! shared by other durable deliveries (follow-up calls).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::serde_helpers::duration;
use crate::engine::RetryPolicy;

/// `[email]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// `email.spool_dir` (`CAREFLOW_EMAIL__SPOOL_DIR`), default `data/outbox`: when
    /// `[providers.smtp]` has no host, each email is written here as an `.eml` file.
    pub spool_dir: PathBuf,
    /// `email.clinic_name` (`CAREFLOW_EMAIL__CLINIC_NAME`), default `the clinic team`:
    /// who the owner's email comes from, in its subject, body and signature, unless a
    /// request names the clinic.
    pub clinic_name: String,
    /// `[email.retry]`: retries of a failed delivery.
    pub retry: DeliveryRetrySettings,
}

/// Retries of a durable delivery (`[email.retry]`, `[providers.voice.retry]`).
/// Backoff doubles from `initial_backoff` up to `max_backoff`, with 20% jitter;
/// waits longer than `engine.park_after` park the delivery without holding a worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRetrySettings {
    /// `max_attempts` (`CAREFLOW_EMAIL__RETRY__MAX_ATTEMPTS`,
    /// `CAREFLOW_PROVIDERS__VOICE__RETRY__MAX_ATTEMPTS`), attempts in all; default 6 for
    /// email, 3 for calls.
    pub max_attempts: u32,
    /// `initial_backoff` (`..._RETRY__INITIAL_BACKOFF`), default 30s for email, 1m for
    /// calls.
    #[serde(with = "duration")]
    pub initial_backoff: Duration,
    /// `max_backoff` (`..._RETRY__MAX_BACKOFF`), default 15m for email, 10m for calls.
    #[serde(with = "duration")]
    pub max_backoff: Duration,
}

impl DeliveryRetrySettings {
    /// The engine retry policy these settings describe.
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            initial_backoff: self.initial_backoff,
            multiplier: 2.0,
            max_backoff: self.max_backoff.max(self.initial_backoff),
            jitter: 0.2,
        }
    }

    pub(super) fn check(&self, section: &str) -> Result<(), ConfigError> {
        if self.max_attempts == 0 {
            return Err(ConfigError::Invalid(format!(
                "{section}.max_attempts: must be at least 1"
            )));
        }
        Ok(())
    }
}

impl EmailSettings {
    /// Rules types cannot express.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.spool_dir.as_os_str().is_empty() {
            return Err(ConfigError::Invalid(
                "email.spool_dir: must name a directory".into(),
            ));
        }
        if self.clinic_name.trim().is_empty() || self.clinic_name.chars().any(char::is_control) {
            return Err(ConfigError::Invalid(
                "email.clinic_name: must be a non-empty name on one line".into(),
            ));
        }
        self.retry.check("email.retry")
    }
}
