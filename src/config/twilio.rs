//! `[providers.twilio]`: the one Twilio account for SMS and voice: discharge follow-up
//! calls, care check-in and task SMS, voice notifications, and the webhooks Twilio
//! calls back. Without one, follow-up calls are recorded as `not_configured` and SMS
//! and voice notifications fail as `not configured`: there is no honest local
//! stand-in for a text message.

use std::time::Duration;

use serde::Deserialize;

use super::checks::{bad, check_timeout, check_url};
use super::serde_helpers::duration;
use super::{BreakerOverride, ConfigError, RetrySettings, Secret};

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
    /// limit of one API request (a message, a call placement, a look-up).
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// `[providers.twilio.retry]`: retries of a failed follow-up call placement (3
    /// attempts, 1m to 10m by default).
    pub retry: RetrySettings,
    /// `[providers.twilio.breaker]`: breaker keys that differ from the defaults.
    #[serde(default)]
    pub breaker: BreakerOverride,
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

    /// Rules types cannot express; a request must end before the step attempt does.
    pub(super) fn check(&self, attempt_timeout: Duration) -> Result<(), ConfigError> {
        let twilio = self;
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
            // The sender's number is read where it is used, at start-up
            // (`workflows::startup`).
        }
        if !twilio.public_base_url.trim().is_empty() {
            check_url("providers.twilio.public_base_url", &twilio.public_base_url)?;
        }
        check_timeout("providers.twilio.timeout", twilio.timeout, attempt_timeout)?;
        twilio
            .retry
            .check("providers.twilio.retry")
            .map_err(ConfigError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: Duration = Duration::from_secs(30);

    fn configured() -> TwilioProviderSettings {
        TwilioProviderSettings {
            base_url: "https://api.twilio.example".into(),
            account_sid: "AC0123456789abcdef".into(),
            auth_token: Secret::new("token"),
            from: "+15551234567".into(),
            messaging_service_sid: String::new(),
            public_base_url: String::new(),
            timeout: Duration::from_secs(15),
            retry: crate::config::Settings::defaults().providers.twilio.retry,
            breaker: BreakerOverride::default(),
        }
    }

    fn refused(s: &TwilioProviderSettings) -> String {
        match s.check(STEP) {
            Err(ConfigError::Invalid(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn no_base_url_means_not_configured_and_is_valid() {
        let s = TwilioProviderSettings {
            base_url: String::new(),
            account_sid: String::new(),
            auth_token: Secret::default(),
            from: String::new(),
            ..configured()
        };
        assert!(!s.is_configured());
        assert!(s.check(STEP).is_ok());
        assert!(configured().check(STEP).is_ok());
    }

    #[test]
    fn an_account_needs_a_sid_and_a_token() {
        let mut s = configured();
        s.account_sid = "AC-12".into();
        assert!(refused(&s).starts_with("providers.twilio.account_sid"));
        let mut s = configured();
        s.auth_token = Secret::default();
        assert!(refused(&s).starts_with("providers.twilio.auth_token"));
    }

    #[test]
    fn the_timeout_must_end_before_the_step_attempt() {
        let mut s = configured();
        s.timeout = STEP;
        assert!(refused(&s).starts_with("providers.twilio.timeout"));
    }

    #[test]
    fn webhook_urls_are_built_on_the_public_base_url() {
        let mut s = configured();
        assert_eq!(s.public_url("/v1/webhooks/twilio/status"), None);
        s.public_base_url = "https://careflow.example.com/".into();
        assert_eq!(
            s.public_url("/v1/webhooks/twilio/status").as_deref(),
            Some("https://careflow.example.com/v1/webhooks/twilio/status")
        );
        s.public_base_url = "not a url".into();
        assert!(refused(&s).starts_with("providers.twilio.public_base_url"));
    }
}
