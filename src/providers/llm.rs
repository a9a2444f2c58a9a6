//! Client of an OpenAI-compatible chat-completions API (`POST
//! {base_url}/v1/chat/completions`), used to write discharge summaries. Owns
//! the request shape and the classification of failures into retryable and
//! permanent ones. The API key is a [`Secret`], never shown in logs.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use crate::config::Secret;

/// Which request field carries the token limit: older models and most
/// compatible servers take `max_tokens`, newer OpenAI models only
/// `max_completion_tokens`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    /// `max_tokens`.
    #[default]
    MaxTokens,
    /// `max_completion_tokens`.
    MaxCompletionTokens,
}

impl MaxTokensField {
    fn as_str(self) -> &'static str {
        match self {
            MaxTokensField::MaxTokens => "max_tokens",
            MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

/// How to reach and drive the model. Timeouts belong to the `reqwest::Client`
/// handed to [`LlmClient::new`].
#[derive(Debug, Clone, Deserialize)]
pub struct LlmSettings {
    /// Server root without `/v1`, e.g. `https://llm.example.com`.
    pub base_url: String,
    /// Sent as a bearer token when present.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Model id sent with every request.
    pub model: String,
    /// Sampling temperature; low keeps summaries close to the facts.
    #[serde(default = "default_temperature")]
    pub temperature: f32,
    /// Upper bound on generated tokens.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// Which field name carries `max_tokens`.
    #[serde(default)]
    pub max_tokens_field: MaxTokensField,
}

fn default_temperature() -> f32 {
    0.2
}

fn default_max_tokens() -> u32 {
    1024
}

/// A finished answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The generated text, trimmed.
    pub content: String,
    /// The model that answered, as the server reports it.
    pub model: String,
    /// Why generation stopped, as the server reports it (normally `stop`).
    pub finish_reason: Option<String>,
    /// Prompt plus completion tokens, when reported.
    pub total_tokens: Option<u32>,
}

/// Why a completion failed.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// No answer in time.
    #[error("the LLM request timed out")]
    Timeout,
    /// The server could not be reached or the exchange broke off.
    #[error("could not talk to the LLM service: {0}")]
    Transport(String),
    /// The server answered with an error status.
    #[error("the LLM service answered {status}: {message}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// The provider's own error message, or the status reason.
        message: String,
        /// How long the server asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// Generation hit the token limit; the text would be cut off.
    #[error("the LLM stopped at the token limit (finish_reason length)")]
    Truncated,
    /// The provider's content filter withheld or refused the answer.
    #[error("the LLM answer was withheld by the provider's content filter")]
    ContentFiltered,
    /// The answer had no text.
    #[error("the LLM returned an empty answer")]
    EmptyContent,
    /// The answer was not a chat completion.
    #[error("the LLM response could not be read: {0}")]
    InvalidResponse(String),
}

impl LlmError {
    /// True for failures worth retrying: timeouts, transport errors, 408,
    /// 429 and 5xx. Bad requests, auth failures and unusable answers are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Timeout | LlmError::Transport(_) => true,
            LlmError::Status { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// The delay the server asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl From<reqwest::Error> for LlmError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            LlmError::Timeout
        } else {
            LlmError::Transport(e.without_url().to_string())
        }
    }
}

/// A chat-completions client.
#[derive(Debug, Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    settings: LlmSettings,
    url: String,
}

#[derive(Deserialize)]
struct ChatResponse {
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<Message>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    content: Option<String>,
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    total_tokens: Option<u32>,
}

/// Longest provider error message kept, so a chatty server cannot bloat logs.
const MAX_MESSAGE: usize = 500;

impl LlmClient {
    /// A client for `settings`, sending through `http`.
    pub fn new(http: reqwest::Client, settings: LlmSettings) -> Self {
        let url = format!(
            "{}/v1/chat/completions",
            settings.base_url.trim_end_matches('/')
        );
        Self {
            http,
            settings,
            url,
        }
    }

    /// Asks for one completion of `system` + `user`.
    pub async fn complete(&self, system: &str, user: &str) -> Result<Completion, LlmError> {
        let s = &self.settings;
        let mut body = json!({
            "model": s.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "temperature": s.temperature,
        });
        body[s.max_tokens_field.as_str()] = json!(s.max_tokens);
        let mut request = self.http.post(&self.url).json(&body);
        if let Some(key) = &s.api_key {
            request = request.bearer_auth(key.expose());
        }
        let started = Instant::now();
        let response = request
            .headers(crate::telemetry::trace_context::outbound_headers())
            .send()
            .await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = response.bytes().await?;
        // Whatever the model answers must be storable (no NUL, only UTF-8).
        let bytes = crate::storable::json_body(&bytes);
        tracing::debug!(
            model = %s.model,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "llm chat completion answered"
        );
        if !status.is_success() {
            return Err(LlmError::Status {
                status: status.as_u16(),
                message: provider_message(&bytes)
                    .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string()),
                retry_after,
            });
        }
        let parsed: ChatResponse = serde_json::from_slice(&bytes)
            .map_err(|e| LlmError::InvalidResponse(format!("not a chat completion: {e}")))?;
        let choice = parsed
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| LlmError::InvalidResponse("no choices".into()))?;
        match choice.finish_reason.as_deref() {
            Some("length") => return Err(LlmError::Truncated),
            Some("content_filter") => return Err(LlmError::ContentFiltered),
            _ => {}
        }
        let message = choice.message;
        if message.as_ref().is_some_and(|m| m.refusal.is_some()) {
            return Err(LlmError::ContentFiltered);
        }
        let content = message
            .and_then(|m| m.content)
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .ok_or(LlmError::EmptyContent)?;
        let total_tokens = parsed.usage.and_then(|u| u.total_tokens);
        tracing::debug!(total_tokens, "llm completion accepted");
        Ok(Completion {
            content,
            model: parsed.model.unwrap_or_else(|| s.model.clone()),
            finish_reason: choice.finish_reason,
            total_tokens,
        })
    }
}

/// `Retry-After` as delay-seconds, or as an HTTP date counted from now.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

/// The provider's `{"error":{"message":…}}` (or `{"error":"…"}`,
/// `{"message":…}`) text, shortened.
fn provider_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = v
        .pointer("/error/message")
        .or_else(|| v.get("error").filter(|e| e.is_string()))
        .or_else(|| v.get("message"))?
        .as_str()?;
    Some(text.chars().take(MAX_MESSAGE).collect())
}

#[cfg(test)]
mod tests;
