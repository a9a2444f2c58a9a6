//! `[providers]`: the outside services careflow may call, one section each, every
//! one with its `timeout`, and an optional `[providers.<name>.breaker]` naming only
//! the breaker keys that differ from `[resilience.breaker]`. Providers whose
//! deliveries are retried on their own (SMTP, Twilio, outbound calls) also carry a
//! `[providers.<name>.retry]`. Each is off until the operator configures it; an
//! unconfigured provider falls back to an honest local default that says so in the
//! logs and in the step output. Provider addresses only ever come from here, never
//! from requests; workflows refer to providers, they do not configure them.

use std::time::Duration;

use serde::Deserialize;

use super::amion::AmionSettings;
use super::checks::{bad, check_timeout, check_url};
use super::fhir::FhirProviderSettings;
use super::outbound::OutboundProviderSettings;
use super::serde_helpers::duration;
use super::smtp::SmtpProviderSettings;
use super::twilio::TwilioProviderSettings;
use super::{BreakerOverride, ConfigError, Secret};

/// `[providers]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersSettings {
    /// `[providers.llm]`: discharge summaries, encounter analysis, reply triage.
    pub llm: LlmProviderSettings,
    /// `[providers.smtp]`: owner emails and email notifications.
    pub smtp: SmtpProviderSettings,
    /// `[providers.twilio]`: SMS and voice (follow-up calls and notifications) on one
    /// account, and the webhooks Twilio calls back.
    pub twilio: TwilioProviderSettings,
    /// `[providers.amion]`: the Amion roster service.
    pub amion: AmionSettings,
    /// `[providers.fhir]`: what every FHIR source shares.
    pub fhir: FhirProviderSettings,
    /// `[providers.outbound]`: HTTP requests to URLs that come from requests.
    pub outbound: OutboundProviderSettings,
}

/// `[providers.llm]`: an OpenAI-compatible chat-completions endpoint. Off by default:
/// patient data may only go to a provider covered by a business associate agreement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmProviderSettings {
    /// `providers.llm.base_url` (`CAREFLOW_PROVIDERS__LLM__BASE_URL`), server root
    /// without `/v1`; default empty: summaries are rendered from built-in templates,
    /// encounters are decided by the rule set.
    pub base_url: String,
    /// `providers.llm.api_key` (`CAREFLOW_PROVIDERS__LLM__API_KEY`), sent as a bearer
    /// token; default empty (none sent).
    pub api_key: Secret,
    /// `providers.llm.model` (`CAREFLOW_PROVIDERS__LLM__MODEL`), default `gpt-4o-mini`.
    pub model: String,
    /// `providers.llm.temperature` (`CAREFLOW_PROVIDERS__LLM__TEMPERATURE`), default
    /// 0.2, for discharge summaries (decisions ask at 0).
    pub temperature: f32,
    /// `providers.llm.max_tokens` (`CAREFLOW_PROVIDERS__LLM__MAX_TOKENS`), default 1024.
    pub max_tokens: u32,
    /// `providers.llm.timeout` (`CAREFLOW_PROVIDERS__LLM__TIMEOUT`), default 25s:
    /// deadline of one completion; below `engine.attempt_timeout`.
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// `[providers.llm.breaker]`: breaker keys that differ from the defaults.
    #[serde(default)]
    pub breaker: BreakerOverride,
}

impl LlmProviderSettings {
    /// True when an endpoint is configured.
    pub fn is_configured(&self) -> bool {
        !self.base_url.trim().is_empty()
    }

    fn check(&self, attempt_timeout: Duration) -> Result<(), ConfigError> {
        if self.is_configured() {
            check_url("providers.llm.base_url", &self.base_url)?;
            if self.model.trim().is_empty() {
                return bad("providers.llm.model", "must name a model");
            }
        }
        if !(0.0..=2.0).contains(&self.temperature) {
            return bad("providers.llm.temperature", "must be between 0 and 2");
        }
        if self.max_tokens == 0 {
            return bad("providers.llm.max_tokens", "must be at least 1");
        }
        check_timeout("providers.llm.timeout", self.timeout, attempt_timeout)
    }
}

impl ProvidersSettings {
    /// Rules types cannot express, checked at start-up; `attempt_timeout` is the
    /// engine's step deadline, which every provider's own must stay below.
    pub(super) fn check(&self, attempt_timeout: Duration) -> Result<(), ConfigError> {
        self.llm.check(attempt_timeout)?;
        self.smtp.check(attempt_timeout)?;
        self.twilio.check(attempt_timeout)?;
        self.amion
            .check(attempt_timeout)
            .map_err(ConfigError::Invalid)?;
        self.fhir.check()?;
        self.outbound.check().map_err(ConfigError::Invalid)
    }

    /// Each provider's breaker override, by the provider name its breakers carry.
    pub fn breakers(&self) -> [(&'static str, &BreakerOverride); 6] {
        [
            ("llm", &self.llm.breaker),
            ("smtp", &self.smtp.breaker),
            ("twilio", &self.twilio.breaker),
            ("amion", &self.amion.breaker),
            ("fhir", &self.fhir.breaker),
            ("outbound", &self.outbound.breaker),
        ]
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
    fn every_provider_is_off_by_default() {
        let s = Settings::defaults();
        assert!(!s.providers.llm.is_configured());
        assert!(!s.providers.smtp.is_configured());
        assert!(!s.providers.twilio.is_configured());
        assert!(!s.providers.amion.is_configured());
        assert_eq!(s.providers.smtp.retry.max_attempts, 6);
        assert_eq!(s.providers.twilio.retry.max_attempts, 3);
        assert!(s.providers.breakers().iter().all(|(_, b)| b.is_empty()));
    }

    #[test]
    fn a_configured_provider_is_read_and_its_secret_stays_hidden() {
        let s = with(
            "[providers.twilio]\nbase_url = \"https://api.twilio.com\"\naccount_sid = \"AC1\"\n\
             auth_token = \"tok-secret\"\nfrom = \"+15551234567\"\n",
        )
        .unwrap();
        assert!(s.providers.twilio.is_configured());
        assert_eq!(s.providers.twilio.auth_token.expose(), "tok-secret");
        assert!(!format!("{s:?}").contains("tok-secret"));
    }

    #[test]
    fn half_configured_providers_are_refused_naming_the_setting() {
        let err = with("[providers.twilio]\nbase_url = \"https://api.twilio.com\"\n").unwrap_err();
        assert!(err.contains("providers.twilio.account_sid"), "{err}");
        let err = with("[providers.smtp]\nusername = \"clinic\"\n").unwrap_err();
        assert!(err.contains("providers.smtp.username"), "{err}");
        let err = with("[providers.llm]\nbase_url = \"ftp://llm.example\"\n").unwrap_err();
        assert!(err.contains("providers.llm.base_url"), "{err}");
        let err = with("[providers.smtp]\nfrom = \"not a mailbox\"\n").unwrap_err();
        assert!(err.contains("providers.smtp.from"), "{err}");
    }

    #[test]
    fn a_provider_timeout_must_end_before_the_attempt_does() {
        for provider in ["smtp", "twilio", "llm", "amion"] {
            let err = with(&format!("[providers.{provider}]\ntimeout = \"45s\"\n")).unwrap_err();
            assert!(
                err.contains(&format!("providers.{provider}.timeout")),
                "{err}"
            );
        }
        let err = with("[providers.smtp.retry]\nmax_attempts = 0\n").unwrap_err();
        assert!(err.contains("providers.smtp.retry.max_attempts"), "{err}");
    }

    #[test]
    fn a_breaker_override_may_name_one_key() {
        let s = with("[providers.fhir.breaker]\nfailure_threshold = 3\n").unwrap();
        let b = &s.providers.fhir.breaker;
        assert_eq!(b.failure_threshold, Some(3));
        assert_eq!(b.failure_ratio, None);
        let err = with("[providers.fhir.breaker]\nfailure_treshold = 3\n").unwrap_err();
        assert!(err.contains("failure_treshold"), "{err}");
    }
}
