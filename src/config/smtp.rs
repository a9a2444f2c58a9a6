//! `[providers.smtp]`: the mail relay of owner emails and email notifications, and
//! the spool directory that stands in for it when none is configured.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::checks::{bad, check_timeout};
use super::serde_helpers::duration;
use super::{BreakerOverride, ConfigError, RetrySettings, Secret};

/// How the SMTP connection is secured (`providers.smtp.tls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text; only for a relay on a trusted network or in tests.
    None,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// `[providers.smtp]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpProviderSettings {
    /// `providers.smtp.host` (`CAREFLOW_PROVIDERS__SMTP__HOST`); default empty: emails
    /// are written to `spool_dir` instead of sent.
    pub host: String,
    /// `providers.smtp.port` (`CAREFLOW_PROVIDERS__SMTP__PORT`), default 587.
    pub port: u16,
    /// `providers.smtp.username` (`CAREFLOW_PROVIDERS__SMTP__USERNAME`); default empty
    /// (no login). Given together with `password`.
    pub username: String,
    /// `providers.smtp.password` (`CAREFLOW_PROVIDERS__SMTP__PASSWORD`), default empty.
    pub password: Secret,
    /// `providers.smtp.from` (`CAREFLOW_PROVIDERS__SMTP__FROM`), the sender mailbox,
    /// also used for spooled files; default `careflow <noreply@careflow.invalid>`.
    pub from: String,
    /// `providers.smtp.tls` (`CAREFLOW_PROVIDERS__SMTP__TLS`): `starttls` (default,
    /// port 587), `tls` (port 465) or `none` (trusted networks and tests only).
    pub tls: TlsMode,
    /// `providers.smtp.timeout` (`CAREFLOW_PROVIDERS__SMTP__TIMEOUT`), limit for
    /// connecting and for each SMTP command; default 20s.
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// `providers.smtp.spool_dir` (`CAREFLOW_PROVIDERS__SMTP__SPOOL_DIR`), default
    /// `data/outbox`: without a host, each email is written here as an `.eml` file.
    pub spool_dir: PathBuf,
    /// `[providers.smtp.retry]`: retries of a failed owner email (6 attempts, 30s to
    /// 15m by default).
    pub retry: RetrySettings,
    /// `[providers.smtp.breaker]`: breaker keys that differ from the defaults.
    #[serde(default)]
    pub breaker: BreakerOverride,
}

impl SmtpProviderSettings {
    /// True when a relay is configured.
    pub fn is_configured(&self) -> bool {
        !self.host.trim().is_empty()
    }

    /// Rules types cannot express.
    pub(super) fn check(&self, attempt_timeout: Duration) -> Result<(), ConfigError> {
        if self.username.is_empty() != self.password.is_empty() {
            return bad(
                "providers.smtp.username",
                "username and password must be given together",
            );
        }
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return bad(
                "providers.smtp.from",
                "must be a mailbox such as `Clinic <noreply@clinic.example>`",
            );
        }
        if self.is_configured() && self.port == 0 {
            return bad("providers.smtp.port", "must not be 0");
        }
        if self.spool_dir.as_os_str().is_empty() {
            return bad("providers.smtp.spool_dir", "must name a directory");
        }
        check_timeout("providers.smtp.timeout", self.timeout, attempt_timeout)?;
        self.retry
            .check("providers.smtp.retry")
            .map_err(ConfigError::Invalid)
    }
}
