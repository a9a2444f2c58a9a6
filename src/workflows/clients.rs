//! The clients of the outside world, built once at start-up from the operator's
//! settings, each behind the resilience layer ([`Resilient`]): workflows reach a
//! provider only through these, so every call gets its deadline and its endpoint's
//! breaker. A provider that is not configured is `None`, and the workflow says what
//! it does instead (templates, the spool, `not_configured`).

use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::providers::amion::AmionClient;
use crate::providers::llm::{LlmClient, LlmSettings, MaxTokensField};
use crate::providers::outbound::GuardedClient;
use crate::providers::resilience::{Endpoint, Resilience, Resilient};
use crate::providers::smtp::{SmtpSender, SmtpSettings};
use crate::providers::twilio::{TwilioClient, TwilioSettings};

/// Time the layer's deadline leaves to a client's own limit, so that the client's
/// more precise error (a connect or read timeout) is the one normally seen.
const CLIENT_LIMIT_MARGIN: Duration = Duration::from_secs(1);

/// Every provider client the workflows share.
pub struct ProviderClients {
    /// `[providers.llm]`: `None` means summaries come from the built-in templates.
    pub llm: Option<Resilient<LlmClient>>,
    /// `[providers.smtp]`: `None` means emails are spooled; `Err` means configured
    /// but unusable (every delivery fails with the reason, rather than silently
    /// spooling).
    pub smtp: Option<Result<Resilient<SmtpSender>, String>>,
    /// `[providers.twilio]`, SMS and voice on one account: `None` means follow-up
    /// calls are recorded as `not_configured` and SMS and voice notifications fail as
    /// not configured.
    pub twilio: Option<Resilient<TwilioClient>>,
    /// `[providers.amion]`: `None` means no assignments are fetched.
    pub amion: Option<Resilient<AmionClient>>,
    /// The guarded client of service calls; each call goes through the breaker of
    /// the host it names ([`Resilient::call_at`]).
    pub outbound: Resilient<GuardedClient>,
}

/// `client` behind `layer`, at its provider's one configured endpoint.
fn guard<C>(
    client: C,
    layer: &Arc<Resilience>,
    provider: &'static str,
    timeout: Duration,
) -> Resilient<C> {
    Resilient::new(client, layer.clone(), Endpoint::global(provider), timeout)
}

impl ProviderClients {
    /// Builds every configured client once. `http` is the shared client for the
    /// operator's providers; `outbound` the guarded one for user-given URLs. The
    /// error names the setting at fault.
    pub fn build(
        settings: &Settings,
        http: &reqwest::Client,
        outbound: GuardedClient,
        layer: &Arc<Resilience>,
    ) -> Result<Self, String> {
        let p = &settings.providers;
        let llm = p.llm.is_configured().then(|| {
            tracing::info!(model = %p.llm.model, "discharge summaries are written by the configured LLM");
            let client = LlmClient::new(
                http.clone(),
                LlmSettings {
                    base_url: p.llm.base_url.trim().to_string(),
                    api_key: (!p.llm.api_key.is_empty()).then(|| p.llm.api_key.clone()),
                    model: p.llm.model.clone(),
                    temperature: p.llm.temperature,
                    max_tokens: p.llm.max_tokens,
                    max_tokens_field: MaxTokensField::MaxTokens,
                },
            );
            guard(client, layer, "llm", p.llm.timeout)
        });
        if llm.is_none() {
            tracing::info!(
                "no LLM configured (providers.llm.base_url is empty): discharge summaries use the built-in templates"
            );
        }
        let smtp = p.smtp.is_configured().then(|| {
            SmtpSender::new(SmtpSettings {
                host: p.smtp.host.trim().to_string(),
                port: p.smtp.port,
                username: (!p.smtp.username.is_empty()).then(|| p.smtp.username.clone()),
                password: (!p.smtp.password.is_empty()).then(|| p.smtp.password.clone()),
                tls: p.smtp.tls,
                timeout: p.smtp.timeout,
            })
            .map(|sender| guard(sender, layer, "smtp", p.smtp.timeout))
            .map_err(|e| {
                tracing::error!(error = %e, "the SMTP settings cannot work; owner emails will fail");
                e.to_string()
            })
        });
        if smtp.is_none() {
            tracing::info!(
                "no SMTP host configured (providers.smtp.host is empty): owner emails are written to the spool directory"
            );
        }
        let t = &p.twilio;
        let twilio = t.is_configured().then(|| {
            let client = TwilioClient::new(
                http.clone(),
                TwilioSettings {
                    base_url: t.base_url.trim().to_string(),
                    account_sid: t.account_sid.clone(),
                    auth_token: t.auth_token.clone(),
                    from: t.from.clone(),
                    messaging_service_sid: Some(t.messaging_service_sid.trim().to_string())
                        .filter(|s| !s.is_empty()),
                },
            );
            guard(client, layer, "twilio", t.timeout)
        });
        if twilio.is_none() {
            tracing::info!(
                "no Twilio account configured (providers.twilio.base_url is empty): follow-up calls are recorded as not_configured, SMS and voice notifications fail as not configured"
            );
        }
        let amion = p.amion.is_configured().then(|| {
            let client = AmionClient::new(http.clone(), p.amion.base_url.clone());
            guard(client, layer, "amion", p.amion.timeout)
        });
        let outbound = Resilient::routed(
            outbound,
            layer.clone(),
            "outbound",
            p.outbound.timeout + CLIENT_LIMIT_MARGIN,
        );
        Ok(Self {
            llm,
            smtp,
            twilio,
            amion,
            outbound,
        })
    }
}
