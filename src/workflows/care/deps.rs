//! What the care functions share: the store, the clock, the settings, the
//! configured channels (the shared Twilio client for SMS and calls, the shared SMTP
//! sender or the spool for email, all built once at start-up in
//! [`crate::workflows::clients`]) and the optional model that classifies replies.

use std::sync::Arc;

use serde_json::Value;
use uuid::Uuid;

use crate::config::{CareSettings, Settings};
use crate::engine::{Clock, RetryPolicy, StepContext, StepError};
use crate::providers::resilience::Resilient;
use crate::providers::smtp::{SmtpSender, SpoolWriter};
use crate::providers::twilio::TwilioClient;
use crate::store::Store;
use crate::workflows::Services;

use super::triage::ModelTriage;

/// Where email goes.
#[derive(Debug, Clone)]
pub enum EmailOut {
    /// Sent through the configured relay (boxed: the client is large beside the
    /// other variants).
    Smtp(Box<Resilient<SmtpSender>>),
    /// Written as `.eml` files (no relay configured).
    Spool(SpoolWriter),
    /// The relay's settings cannot work (start-up checks them, so this is a last
    /// resort): email notifications fail with this reason.
    Unusable(String),
}

/// Shared by every care function.
#[derive(Clone)]
pub struct Care {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The engine's clock.
    pub clock: Arc<dyn Clock>,
    /// All settings.
    pub settings: Arc<Settings>,
    /// SMS and calls, when Twilio is configured: the service's one client, behind
    /// the account's deadline and breaker.
    pub twilio: Option<Resilient<TwilioClient>>,
    /// Email.
    pub email: EmailOut,
    /// The URL Twilio posts status changes to, when a public base URL is configured.
    pub status_callback: Option<String>,
    /// The model seconding the rule table on replies, when `care.model_classification` is on.
    pub model: Option<ModelTriage>,
}

/// The path Twilio posts message and call status changes to.
pub const STATUS_WEBHOOK: &str = "/v1/webhooks/twilio/status";
/// The path Twilio posts inbound SMS to.
pub const INBOUND_WEBHOOK: &str = "/v1/webhooks/twilio/inbound";

impl Care {
    /// Takes the channels from the shared provider clients; says in the log which
    /// are off.
    pub fn new(services: &Services) -> Self {
        let settings = services.settings.clone();
        let twilio = services.providers.twilio.clone();
        if twilio.is_none() {
            tracing::info!(
                "care: Twilio is not configured; SMS and voice notifications will fail as not configured"
            );
        }
        let status_callback = settings.providers.twilio.public_url(STATUS_WEBHOOK);
        if twilio.is_some() && status_callback.is_none() {
            tracing::warn!(
                "care: providers.twilio.public_base_url is empty; no delivery status callbacks will arrive"
            );
        }
        let email = match &services.providers.smtp {
            Some(Ok(sender)) => EmailOut::Smtp(Box::new(sender.clone())),
            Some(Err(e)) => EmailOut::Unusable(format!("channel email unusable: {e}")),
            None => {
                tracing::info!(
                    "care: no SMTP host configured; email notifications are written to the spool directory"
                );
                EmailOut::Spool(SpoolWriter::new(settings.providers.smtp.spool_dir.clone()))
            }
        };
        Self {
            model: ModelTriage::from_services(services),
            store: services.store.clone(),
            clock: services.clock.clone(),
            settings,
            twilio,
            email,
            status_callback,
        }
    }

    /// The `[care]` settings.
    pub fn care(&self) -> &CareSettings {
        &self.settings.care
    }

    /// How a notification's send is retried (`[care.retry]`).
    pub fn send_retries(&self) -> RetryPolicy {
        RetryPolicy::from_settings(&self.settings.care.retry)
    }
}

/// The triggering event's `data`.
pub fn data(ctx: &StepContext) -> &Value {
    &ctx.input["event"]["data"]
}

/// The triggering event's id.
pub fn event_id(ctx: &StepContext) -> String {
    ctx.input["event"]["id"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| ctx.run_id.to_string())
}

/// A non-empty string at `data.<key>`.
pub fn text<'a>(ctx: &'a StepContext, key: &str) -> Option<&'a str> {
    data(ctx)[key]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A required id at `data.<key>`; a missing or malformed one fails for good.
pub fn id(ctx: &StepContext, key: &str) -> Result<Uuid, StepError> {
    text(ctx, key)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| StepError::permanent(format!("event data.{key} must be an id")))
}

/// An optional id at `data.<key>`; a malformed one fails for good.
pub fn optional_id(ctx: &StepContext, key: &str) -> Result<Option<Uuid>, StepError> {
    match text(ctx, key) {
        None => Ok(None),
        Some(s) => Uuid::parse_str(s)
            .map(Some)
            .map_err(|_| StepError::permanent(format!("event data.{key} must be an id"))),
    }
}
