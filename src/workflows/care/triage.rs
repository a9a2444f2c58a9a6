//! Classifying a patient's reply: the rule table always, and, when
//! `care.model_classification` is on, the `[providers.llm]` model as a second opinion.
//! The model is sent the reply text alone (no name, number or id); the higher severity
//! wins, the rule table being the floor. A model that fails, answers nothing usable or
//! outlives `care.model_timeout` is ignored and the rule table decides.

use serde_json::{Value, json};

use crate::domain::care::model_triage::{DecidedBy, SYSTEM_PROMPT, combine, read_answer};
use crate::domain::care::severity::{Classification, Severity, classify};
use crate::providers::llm::{LlmClient, LlmSettings, MaxTokensField};
use crate::providers::resilience::{Endpoint, Resilient};
use crate::workflows::Services;

/// The model asked about replies, behind the LLM's breaker with the triage deadline
/// (`care.model_timeout`). Its own client, for its own request shape (temperature 0,
/// a one-word answer), built from `[providers.llm]`.
#[derive(Clone)]
pub struct ModelTriage {
    client: Resilient<LlmClient>,
}

/// Answers are one word; a small limit keeps a chatty model cheap and quick.
const MAX_ANSWER_TOKENS: u32 = 16;

impl ModelTriage {
    /// The model, when `care.model_classification` is on (start-up has checked that
    /// `[providers.llm]` is configured then).
    pub fn from_services(services: &Services) -> Option<Self> {
        let s = &services.settings;
        let llm = &s.providers.llm;
        if !s.care.model_classification || !llm.is_configured() {
            return None;
        }
        tracing::info!(model = %llm.model, "care: replies are also classified by the configured model");
        let client = LlmClient::new(
            services.http.clone(),
            LlmSettings {
                base_url: llm.base_url.trim().to_string(),
                api_key: (!llm.api_key.is_empty()).then(|| llm.api_key.clone()),
                model: llm.model.clone(),
                temperature: 0.0,
                max_tokens: MAX_ANSWER_TOKENS.min(llm.max_tokens),
                max_tokens_field: MaxTokensField::MaxTokens,
            },
        );
        Some(Self {
            client: Resilient::new(
                client,
                services.resilience.clone(),
                Endpoint::global("llm"),
                s.care.model_timeout,
            ),
        })
    }
}

/// A reply's classification, as stored and acted on.
pub struct Verdict {
    /// The rule table's verdict (its rules and reason).
    pub rules: Classification,
    /// The severity acted on.
    pub severity: Severity,
    /// Who set it.
    pub decided_by: DecidedBy,
    /// What the model said, for the step output: its severity, or why it was ignored.
    pub model: Value,
    /// The explanation stored with the reply (rule ids and severities, never its text).
    pub reason: String,
}

/// Classifies `reply` by the rule table and, when configured, the model
/// (`Care::model`).
pub async fn triage(model: Option<&ModelTriage>, reply: &str) -> Verdict {
    let rules = classify(reply);
    let (model_severity, model) = match model {
        None => (None, Value::Null),
        Some(m) => match ask(m, reply).await {
            Ok(s) => (Some(s), json!({"severity": s})),
            Err(why) => {
                tracing::warn!(
                    why,
                    "care: the model gave no usable classification; the rule table decides"
                );
                (None, json!({"severity": null, "error": why}))
            }
        },
    };
    let (severity, decided_by) = combine(rules.severity, model_severity);
    let reason = match (decided_by, model_severity) {
        (DecidedBy::Model, _) => format!(
            "{}: rated by the model; rule table {}",
            severity.as_str(),
            rules.reason
        ),
        (DecidedBy::Both, _) => format!("{}; the model agreed", rules.reason),
        (DecidedBy::Rules, Some(m)) => format!("{}; the model rated {}", rules.reason, m.as_str()),
        (DecidedBy::Rules, None) => rules.reason.clone(),
    };
    Verdict {
        rules,
        severity,
        decided_by,
        model,
        reason,
    }
}

/// The model's severity for `reply`, or why there is none (a class of failure, never
/// the provider's text, which might echo the reply).
async fn ask(model: &ModelTriage, reply: &str) -> Result<Severity, &'static str> {
    let answer = model
        .client
        .call(|c| c.complete(SYSTEM_PROMPT, reply))
        .await;
    match answer {
        Ok(completion) => read_answer(&completion.content).ok_or("the answer named no severity"),
        Err(crate::providers::resilience::CallError::Timeout(_)) => Err("the model timed out"),
        Err(crate::providers::resilience::CallError::Open(_)) => {
            Err("the model's circuit breaker is open")
        }
        Err(crate::providers::resilience::CallError::Provider(_)) => Err("the model call failed"),
    }
}
