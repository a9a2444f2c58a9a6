//! Twilio client: sending SMS, placing voice calls with inline TwiML, looking up recent messages
//! (to settle an ambiguous retry), message and call status lifecycles, and webhook signatures.
//!
//! Speaks Twilio's 2010-04-01 REST API: form-encoded requests with HTTP Basic auth, JSON answers,
//! against a configurable base URL. Nothing here logs phone numbers or message bodies.

mod calls;
mod error;
mod messages;
pub mod signature;
mod wire;

#[cfg(test)]
mod test_support;

pub use calls::{CallResource, CallStatus};
pub use error::TwilioError;
pub use messages::{MessageResource, MessageStatus};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Instant;

use crate::config::Secret;

/// Where and as whom to reach Twilio.
#[derive(Debug, Clone, Deserialize)]
pub struct TwilioSettings {
    /// API root, `https://api.twilio.com` in production (a fake server in tests).
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Account SID (`AC...`), also the Basic auth user name.
    pub account_sid: String,
    /// Auth token: the Basic auth password and the webhook signing key.
    pub auth_token: Secret,
    /// Sender number (E.164) for SMS without a Messaging Service, and for every call.
    #[serde(default)]
    pub from: String,
    /// Messaging Service (`MG...`); when set, SMS go through it instead of `from`.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
}

fn default_base_url() -> String {
    "https://api.twilio.com".to_owned()
}

/// A Twilio REST client; cheap to clone.
#[derive(Debug, Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    settings: TwilioSettings,
}

impl TwilioClient {
    /// A client using `http` (configure its timeouts there) and `settings`.
    pub fn new(http: reqwest::Client, settings: TwilioSettings) -> Self {
        Self { http, settings }
    }

    /// The settings the client was built with.
    pub fn settings(&self) -> &TwilioSettings {
        &self.settings
    }

    /// The same account sending from another number or Messaging Service (a
    /// tenant's own, so that replies come back to it). A Messaging Service carries
    /// SMS only; calls keep the number (`from`, else the configured one).
    pub fn with_sender(&self, from: Option<&str>, messaging_service_sid: Option<&str>) -> Self {
        let mut settings = self.settings.clone();
        if let Some(number) = from {
            settings.from = number.to_string();
        }
        if from.is_some() || messaging_service_sid.is_some() {
            settings.messaging_service_sid = messaging_service_sid.map(String::from);
        }
        Self {
            http: self.http.clone(),
            settings,
        }
    }

    fn api_root(&self) -> &str {
        self.settings.base_url.trim_end_matches('/')
    }

    /// `{base}/2010-04-01/Accounts/{sid}/{resource}`, refusing a SID that would bend the path.
    fn account_url(&self, resource: &str) -> Result<String, TwilioError> {
        let sid = &self.settings.account_sid;
        if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TwilioError::Config(
                "account SID must be non-empty and alphanumeric".to_owned(),
            ));
        }
        Ok(format!(
            "{}/2010-04-01/Accounts/{sid}/{resource}",
            self.api_root()
        ))
    }

    /// Sends an authenticated request and decodes a 2xx JSON answer; `what` names the resource
    /// in logs.
    async fn execute<T: DeserializeOwned>(
        &self,
        what: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, TwilioError> {
        let started = Instant::now();
        let response = request
            .basic_auth(
                &self.settings.account_sid,
                Some(self.settings.auth_token.expose()),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .headers(crate::telemetry::trace_context::outbound_headers())
            .send()
            .await
            .map_err(TwilioError::from_reqwest)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(error::parse_retry_after);
        let body = response.bytes().await.map_err(TwilioError::from_reqwest)?;
        // Whatever Twilio answers must be storable (no NUL, only UTF-8).
        let body = crate::storable::json_body(&body);
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::debug!(
            resource = what,
            status = status.as_u16(),
            elapsed_ms,
            "twilio call"
        );
        if !status.is_success() {
            return Err(TwilioError::from_response(
                status.as_u16(),
                retry_after,
                &body,
            ));
        }
        serde_json::from_slice(&body).map_err(|e| TwilioError::decode(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{client, spawn};
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn the_auth_token_never_shows_in_debug_output() {
        let twilio = client("http://127.0.0.1:9", None);
        let shown = format!("{twilio:?}");
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains(test_support::TOKEN));
    }

    #[test]
    fn settings_default_to_the_public_api() {
        let settings: TwilioSettings = serde_json::from_str(
            r#"{"account_sid": "AC1", "auth_token": "tok", "from": "+15005550001"}"#,
        )
        .unwrap();
        assert_eq!(settings.base_url, "https://api.twilio.com");
        assert_eq!(settings.auth_token.expose(), "tok");
        assert_eq!(settings.messaging_service_sid, None);
    }

    #[tokio::test]
    async fn an_account_sid_that_would_change_the_path_is_refused_before_sending() {
        let (base, seen) = spawn(|_| (StatusCode::CREATED, vec![], "{}".to_owned())).await;
        let mut twilio = client(&base, None);
        twilio.settings.account_sid = "AC1/../../admin".to_owned();
        let err = twilio
            .send_sms("+15005550006", "Hi", None)
            .await
            .unwrap_err();
        assert!(matches!(err, TwilioError::Config(_)));
        assert!(seen.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_twilio_that_never_answers_times_out_retryably() {
        let app = axum::Router::new().fallback(std::future::pending::<()>);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(200))
            .build()
            .unwrap();
        let twilio = TwilioClient::new(http, client(&base, None).settings.clone());
        let err = twilio
            .send_sms("+15005550006", "Hi", None)
            .await
            .unwrap_err();
        assert!(matches!(err, TwilioError::Timeout), "{err:?}");
        assert!(err.is_retryable());
    }
}
