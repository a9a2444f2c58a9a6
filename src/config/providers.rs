//! `[providers]`: the outside services careflow may call, each off until the
//! operator configures it. An unconfigured provider (empty `base_url` or `host`)
//! falls back to an honest local default that says so in the logs and in the
//! step output: template summaries instead of an LLM, `.eml` files in the spool
//! directory instead of SMTP, calls recorded as `not_configured` instead of placed.
//! Provider addresses only ever come from here, never from requests.

use std::time::Duration;

use serde::Deserialize;

use super::amion::AmionSettings;
use super::serde_helpers::duration;
use super::twilio::TwilioProviderSettings;
use super::{ConfigError, DeliveryRetrySettings, Secret};
use crate::providers::smtp::{SmtpSettings, TlsMode};

/// `[providers]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersSettings {
    /// `[providers.llm]`: the discharge summary writer.
    pub llm: LlmProviderSettings,
    /// `[providers.smtp]`: owner emails.
    pub smtp: SmtpProviderSettings,
    /// `[providers.voice]`: follow-up calls.
    pub voice: VoiceProviderSettings,
    /// `[providers.amion]`: the Amion roster service.
    pub amion: AmionSettings,
    /// `[providers.twilio]`: SMS, voice notifications and their webhooks (care).
    pub twilio: TwilioProviderSettings,
}

/// `[providers.llm]`: an OpenAI-compatible chat-completions endpoint. Off by default:
/// patient data may only go to a provider covered by a business associate agreement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmProviderSettings {
    /// `providers.llm.base_url` (`CAREFLOW_PROVIDERS__LLM__BASE_URL`), server root
    /// without `/v1`; default empty: summaries are rendered from built-in templates.
    pub base_url: String,
    /// `providers.llm.api_key` (`CAREFLOW_PROVIDERS__LLM__API_KEY`), sent as a bearer
    /// token; default empty (none sent).
    pub api_key: Secret,
    /// `providers.llm.model` (`CAREFLOW_PROVIDERS__LLM__MODEL`), default `gpt-4o-mini`.
    pub model: String,
    /// `providers.llm.temperature` (`CAREFLOW_PROVIDERS__LLM__TEMPERATURE`), default 0.2.
    pub temperature: f32,
    /// `providers.llm.max_tokens` (`CAREFLOW_PROVIDERS__LLM__MAX_TOKENS`), default 1024.
    pub max_tokens: u32,
}

/// `[providers.smtp]`: the mail relay for owner emails.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpProviderSettings {
    /// `providers.smtp.host` (`CAREFLOW_PROVIDERS__SMTP__HOST`); default empty: emails
    /// are written to `email.spool_dir` instead of sent.
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
}

/// `[providers.voice]`: a voice provider speaking Twilio's Calls API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceProviderSettings {
    /// `providers.voice.base_url` (`CAREFLOW_PROVIDERS__VOICE__BASE_URL`), e.g.
    /// `https://api.twilio.com`; default empty: calls are recorded as `not_configured`.
    pub base_url: String,
    /// `providers.voice.account_sid` (`CAREFLOW_PROVIDERS__VOICE__ACCOUNT_SID`).
    pub account_sid: String,
    /// `providers.voice.auth_token` (`CAREFLOW_PROVIDERS__VOICE__AUTH_TOKEN`).
    pub auth_token: Secret,
    /// `providers.voice.from` (`CAREFLOW_PROVIDERS__VOICE__FROM`), the E.164 caller number.
    pub from: String,
    /// `providers.voice.timeout` (`CAREFLOW_PROVIDERS__VOICE__TIMEOUT`), limit of one
    /// placement request; default 20s.
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// `[providers.voice.retry]`: retries of a failed placement.
    pub retry: DeliveryRetrySettings,
}

impl LlmProviderSettings {
    /// True when an endpoint is configured.
    pub fn is_configured(&self) -> bool {
        !self.base_url.trim().is_empty()
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
            password: Some(self.password.clone()).filter(|p| !p.is_empty()),
            tls: self.tls,
            timeout: self.timeout,
        }
    }
}

impl VoiceProviderSettings {
    /// True when a provider is configured.
    pub fn is_configured(&self) -> bool {
        !self.base_url.trim().is_empty()
    }
}

fn bad(key: &str, why: &str) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid(format!("{key}: {why}")))
}

pub(super) fn check_url(key: &str, value: &str) -> Result<(), ConfigError> {
    match url::Url::parse(value.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => bad(key, "must be an http:// or https:// URL"),
    }
}

impl ProvidersSettings {
    /// Rules types cannot express, checked at start-up.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let llm = &self.llm;
        if llm.is_configured() {
            check_url("providers.llm.base_url", &llm.base_url)?;
            if llm.model.trim().is_empty() {
                return bad("providers.llm.model", "must name a model");
            }
        }
        if !(0.0..=2.0).contains(&llm.temperature) {
            return bad("providers.llm.temperature", "must be between 0 and 2");
        }
        if llm.max_tokens == 0 {
            return bad("providers.llm.max_tokens", "must be at least 1");
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
        let voice = &self.voice;
        if voice.is_configured() {
            check_url("providers.voice.base_url", &voice.base_url)?;
            if voice.account_sid.is_empty()
                || !voice.account_sid.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return bad("providers.voice.account_sid", "must be an alphanumeric SID");
            }
            if voice.auth_token.is_empty() {
                return bad("providers.voice.auth_token", "is required with a base_url");
            }
            if !crate::domain::discharge::case::is_e164(&voice.from) {
                return bad(
                    "providers.voice.from",
                    "must be an E.164 number such as +15551234567",
                );
            }
        }
        voice.retry.check("providers.voice.retry")
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
        assert!(!s.providers.voice.is_configured());
        assert_eq!(s.email.retry.max_attempts, 6);
        assert_eq!(s.providers.voice.retry.max_attempts, 3);
    }

    #[test]
    fn a_configured_provider_is_read_and_its_secret_stays_hidden() {
        let s = with(
            "[providers.voice]\nbase_url = \"https://api.twilio.com\"\naccount_sid = \"AC1\"\n\
             auth_token = \"tok-secret\"\nfrom = \"+15551234567\"\n",
        )
        .unwrap();
        assert!(s.providers.voice.is_configured());
        assert_eq!(s.providers.voice.auth_token.expose(), "tok-secret");
        assert!(!format!("{s:?}").contains("tok-secret"));
    }

    #[test]
    fn half_configured_providers_are_refused_naming_the_setting() {
        let err = with("[providers.voice]\nbase_url = \"https://api.twilio.com\"\n").unwrap_err();
        assert!(err.contains("providers.voice.account_sid"), "{err}");
        let err = with("[providers.smtp]\nusername = \"clinic\"\n").unwrap_err();
        assert!(err.contains("providers.smtp.username"), "{err}");
        let err = with("[providers.llm]\nbase_url = \"ftp://llm.example\"\n").unwrap_err();
        assert!(err.contains("providers.llm.base_url"), "{err}");
        let err = with("[providers.smtp]\nfrom = \"not a mailbox\"\n").unwrap_err();
        assert!(err.contains("providers.smtp.from"), "{err}");
    }

    #[test]
    fn a_provider_timeout_must_end_before_the_attempt_does() {
        let err = with("[providers.smtp]\ntimeout = \"45s\"\n").unwrap_err();
        assert!(err.contains("providers.smtp.timeout"), "{err}");
        let err = with("[email.retry]\nmax_attempts = 0\n").unwrap_err();
        assert!(err.contains("email.retry.max_attempts"), "{err}");
    }
}
