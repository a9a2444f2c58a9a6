//! `[providers]`: the outside services care transitions reach, each off until the
//! operator configures it. Twilio (`[providers.twilio]`) sends SMS, places calls and
//! signs the webhooks it calls back; SMTP (`[providers.smtp]`) sends email. Without a
//! Twilio account, SMS and voice notifications fail as `not configured` (there is no
//! honest local stand-in for a text message); without an SMTP host, email is written
//! to the spool directory instead. Provider addresses only come from here.

use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::duration;
use super::{ConfigError, Secret};
use crate::providers::smtp::{SmtpSettings, TlsMode};

/// `[providers]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersSettings {
    /// `[providers.twilio]`: SMS, voice calls and their webhooks.
    pub twilio: TwilioProviderSettings,
    /// `[providers.smtp]`: email.
    pub smtp: SmtpProviderSettings,
}

/// `[providers.twilio]`: a Twilio account (or anything speaking its 2010-04-01 API).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioProviderSettings {
    /// `providers.twilio.base_url` (`CAREFLOW_PROVIDERS__TWILIO__BASE_URL`), e.g.
    /// `https://api.twilio.com`; default empty: SMS and calls are not configured.
    pub base_url: String,
    /// `providers.twilio.account_sid` (`CAREFLOW_PROVIDERS__TWILIO__ACCOUNT_SID`).
    pub account_sid: String,
    /// `providers.twilio.auth_token` (`CAREFLOW_PROVIDERS__TWILIO__AUTH_TOKEN`): the
    /// API password and the key Twilio signs its webhooks with.
    pub auth_token: Secret,
    /// `providers.twilio.from` (`CAREFLOW_PROVIDERS__TWILIO__FROM`): the E.164 sender
    /// number of SMS (unless a Messaging Service is set) and of every call.
    pub from: String,
    /// `providers.twilio.messaging_service_sid`
    /// (`CAREFLOW_PROVIDERS__TWILIO__MESSAGING_SERVICE_SID`): SMS go through this
    /// Messaging Service (`MG...`) when set; default empty.
    pub messaging_service_sid: String,
    /// `providers.twilio.public_base_url` (`CAREFLOW_PROVIDERS__TWILIO__PUBLIC_BASE_URL`):
    /// this service's address as Twilio reaches it (`https://careflow.example.com`).
    /// Status callbacks are requested at `<it>/v1/webhooks/twilio/status`, and webhook
    /// signatures are checked against it (behind a load balancer the request's own
    /// URL differs). Default empty: no status callbacks, webhooks refused.
    pub public_base_url: String,
    /// `providers.twilio.timeout` (`CAREFLOW_PROVIDERS__TWILIO__TIMEOUT`), default 15s:
    /// limit of one API request.
    #[serde(with = "duration")]
    pub timeout: Duration,
}

/// `[providers.smtp]`: the mail relay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpProviderSettings {
    /// `providers.smtp.host` (`CAREFLOW_PROVIDERS__SMTP__HOST`); default empty: email
    /// is written to `care.email_spool_dir` instead of sent.
    pub host: String,
    /// `providers.smtp.port` (`CAREFLOW_PROVIDERS__SMTP__PORT`), default 587.
    pub port: u16,
    /// `providers.smtp.username` (`CAREFLOW_PROVIDERS__SMTP__USERNAME`); default empty
    /// (no login). Given together with `password`.
    pub username: String,
    /// `providers.smtp.password` (`CAREFLOW_PROVIDERS__SMTP__PASSWORD`), default empty.
    pub password: Secret,
    /// `providers.smtp.from` (`CAREFLOW_PROVIDERS__SMTP__FROM`), the sender mailbox;
    /// default `careflow <noreply@careflow.invalid>`.
    pub from: String,
    /// `providers.smtp.tls` (`CAREFLOW_PROVIDERS__SMTP__TLS`): `starttls` (default,
    /// port 587), `tls` (port 465) or `none` (trusted networks and tests only).
    pub tls: TlsMode,
    /// `providers.smtp.timeout` (`CAREFLOW_PROVIDERS__SMTP__TIMEOUT`), limit for
    /// connecting and for each SMTP command; default 20s.
    #[serde(with = "duration")]
    pub timeout: Duration,
}

impl TwilioProviderSettings {
    /// True when an account is configured.
    pub fn is_configured(&self) -> bool {
        !self.base_url.trim().is_empty()
    }

    /// The full public URL of a webhook path (`/v1/webhooks/twilio/status`), when a
    /// public base URL is configured.
    pub fn public_url(&self, path: &str) -> Option<String> {
        let base = self.public_base_url.trim().trim_end_matches('/');
        (!base.is_empty()).then(|| format!("{base}{path}"))
    }
}

impl SmtpProviderSettings {
    /// True when a relay is configured.
    pub fn is_configured(&self) -> bool {
        !self.host.trim().is_empty()
    }

    /// What the SMTP sender is built from.
    pub fn sender_settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: self.host.trim().to_string(),
            port: self.port,
            username: Some(self.username.clone()).filter(|u| !u.is_empty()),
            password: Some(crate::providers::llm::Secret::new(self.password.expose()))
                .filter(|_| !self.password.is_empty()),
            tls: self.tls,
            timeout: self.timeout,
        }
    }
}

fn bad(key: &str, why: &str) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid(format!("{key}: {why}")))
}

fn check_url(key: &str, value: &str) -> Result<(), ConfigError> {
    match url::Url::parse(value.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => bad(key, "must be an http:// or https:// URL"),
    }
}

fn is_e164(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or("");
    (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

impl ProvidersSettings {
    /// Rules types cannot express, checked at start-up; provider requests must end
    /// before the step attempt that makes them does.
    pub(super) fn check(&self, attempt_timeout: Duration) -> Result<(), ConfigError> {
        let twilio = &self.twilio;
        if twilio.is_configured() {
            check_url("providers.twilio.base_url", &twilio.base_url)?;
            if twilio.account_sid.is_empty()
                || !twilio
                    .account_sid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric())
            {
                return bad(
                    "providers.twilio.account_sid",
                    "must be an alphanumeric SID",
                );
            }
            if twilio.auth_token.is_empty() {
                return bad("providers.twilio.auth_token", "is required with a base_url");
            }
            if twilio.messaging_service_sid.trim().is_empty() && !is_e164(&twilio.from) {
                return bad(
                    "providers.twilio.from",
                    "must be an E.164 number such as +15551234567 (or set messaging_service_sid)",
                );
            }
        }
        if !twilio.public_base_url.trim().is_empty() {
            check_url("providers.twilio.public_base_url", &twilio.public_base_url)?;
        }
        if twilio.timeout.is_zero() || twilio.timeout >= attempt_timeout {
            return bad(
                "providers.twilio.timeout",
                "must be above zero and below engine.retry.attempt_timeout",
            );
        }
        let smtp = &self.smtp;
        if smtp.username.is_empty() != smtp.password.is_empty() {
            return bad(
                "providers.smtp.username",
                "username and password must be given together",
            );
        }
        if smtp.from.parse::<lettre::message::Mailbox>().is_err() {
            return bad(
                "providers.smtp.from",
                "must be a mailbox such as `Clinic <noreply@clinic.example>`",
            );
        }
        if smtp.is_configured() && smtp.port == 0 {
            return bad("providers.smtp.port", "must not be 0");
        }
        if smtp.is_configured()
            && let Err(e) = crate::providers::smtp::SmtpSender::new(smtp.sender_settings())
        {
            return Err(ConfigError::Invalid(format!("providers.smtp.host: {e}")));
        }
        if smtp.timeout.is_zero() || smtp.timeout >= attempt_timeout {
            return bad(
                "providers.smtp.timeout",
                "must be above zero and below engine.retry.attempt_timeout",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Toml};

    use crate::config::{DEFAULT_TOML, Settings};

    fn with(toml: &str) -> Result<Settings, String> {
        let settings: Settings = Figment::new()
            .merge(Toml::string(DEFAULT_TOML))
            .merge(Toml::string(toml))
            .extract()
            .map_err(|e| e.to_string())?;
        settings.check().map_err(|e| e.to_string())?;
        Ok(settings)
    }

    #[test]
    fn providers_are_off_by_default_and_care_defaults_match_the_documentation() {
        let s = Settings::defaults();
        assert!(!s.providers.twilio.is_configured());
        assert!(!s.providers.smtp.is_configured());
        assert_eq!(s.providers.twilio.public_url("/x"), None);
        assert_eq!(s.care.checkin_delay.as_secs(), 24 * 3600);
        assert_eq!(s.care.checkin_attempts, 2);
        assert_eq!(s.care.sla_minutes.for_severity("CRITICAL"), 30);
        assert_eq!(s.care.sla_minutes.for_severity("whatever"), 1440);
    }

    #[test]
    fn a_configured_account_is_read_and_its_token_stays_hidden() {
        let s = with(
            "[providers.twilio]\nbase_url = \"https://api.twilio.com\"\naccount_sid = \"AC1\"\n\
             auth_token = \"tok-secret\"\nfrom = \"+15551234567\"\n\
             public_base_url = \"https://care.example.com/\"\n",
        )
        .unwrap();
        assert!(s.providers.twilio.is_configured());
        assert_eq!(
            s.providers
                .twilio
                .public_url("/v1/webhooks/twilio/status")
                .as_deref(),
            Some("https://care.example.com/v1/webhooks/twilio/status")
        );
        assert!(!format!("{s:?}").contains("tok-secret"));
    }

    #[test]
    fn half_configured_providers_and_bad_care_values_are_refused_naming_the_setting() {
        for (toml, key) in [
            (
                "[providers.twilio]\nbase_url = \"https://api.twilio.com\"\n",
                "providers.twilio.account_sid",
            ),
            (
                "[providers.twilio]\nbase_url = \"https://x.test\"\naccount_sid = \"AC1\"\nauth_token = \"t\"\nfrom = \"555\"\n",
                "providers.twilio.from",
            ),
            (
                "[providers.twilio]\npublic_base_url = \"care.example.com\"\n",
                "providers.twilio.public_base_url",
            ),
            (
                "[providers.smtp]\nusername = \"clinic\"\n",
                "providers.smtp.username",
            ),
            ("[care]\ncheckin_attempts = 0\n", "care.checkin_attempts"),
            (
                "[care]\nno_reply_severity = \"LOW\"\n",
                "care.no_reply_severity",
            ),
            ("[care.sla_minutes]\nhigh = 0\n", "care.sla_minutes.high"),
        ] {
            let err = with(toml).unwrap_err();
            assert!(err.contains(key), "{toml}: {err}");
        }
    }
}
