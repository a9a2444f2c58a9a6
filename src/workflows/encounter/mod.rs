//! The prior-authorization `encounter` workflow: `hydrate` (patient, conditions and
//! observations from FHIR) → `analyze` (rule set or model) → `generatePdf` (the form,
//! stored, when prior authorization is needed) → `notify` (`PA_FORM_READY` or
//! `PA_NOT_REQUIRED`), fed by a poller per configured FHIR source and by
//! `POST /v1/encounters`.
//!
//! Every FHIR and model call goes through the resilience layer: while a breaker is
//! open the step waits without spending an attempt, and when a step's last attempt
//! fails on a transient error the run parks and tries again (`outage`), so only
//! permanent errors (or an outage outlasting `encounters.outage_max_wait`) fail it.
//! The engine has no failure hook, so each step publishes `EncounterProcessingFailed`
//! itself when it fails for good; runs that failed on a transient error are retried
//! when their source answers again (`recovery`). Runs are keyed by the encounter's
//! version, so a changed encounter is processed again.

mod outage;
pub mod outputs;
mod poller;
mod recovery;
pub mod settings;
mod sources;
mod steps;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Services;
use crate::domain::encounter::rules::RuleSet;
use crate::domain::validation::Problems;
use crate::engine::{
    DefinitionError, RetryPolicy, StepContext, StepError, StepOutcome, StepPolicy,
    WorkflowDefinition,
};
use crate::providers::llm::{LlmClient, LlmSettings, MaxTokensField};
use crate::store::NewEvent;

pub use poller::Pollers;
pub use sources::{EncounterSources, Source};

/// The workflow's name.
pub const WORKFLOW: &str = "encounter";

/// The run's input: which encounter of which configured source, and which version
/// of it, when that was known at submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncounterInput {
    /// A configured source of the run's tenant.
    pub source: String,
    /// The FHIR id of the encounter.
    pub encounter_id: String,
    /// The resource's version (`meta.versionId`, else `meta.lastUpdated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl EncounterInput {
    /// Reads and checks a run's input, listing every problem.
    pub fn from_value(input: &Value) -> Result<Self, Problems> {
        let mut problems = Problems::new();
        let text = |key: &str, problems: &mut Problems| match input.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => {
                problems.push(format!("/{key}"), "must be a string");
                None
            }
        };
        let source = text("source", &mut problems);
        let encounter_id = text("encounterId", &mut problems);
        let version = match input.get("version") {
            None | Some(Value::Null) => None,
            Some(Value::String(v)) if !v.trim().is_empty() && v.len() <= 128 => {
                Some(v.trim().to_owned())
            }
            Some(_) => {
                problems.push("/version", "must be a string of 1-128 characters");
                None
            }
        };
        if let Some(id) = &encounter_id
            && !is_fhir_id(id)
        {
            problems.push(
                "/encounterId",
                "must be a FHIR id: 1-64 letters, digits, '-' or '.'",
            );
        }
        match (source, encounter_id) {
            (Some(source), Some(encounter_id)) if problems.is_empty() => Ok(Self {
                source,
                encounter_id,
                version,
            }),
            _ => Err(problems),
        }
    }

    /// The run's idempotency key: one run per version of an encounter of a source
    /// (`<source>:<encounter id>@<version>`), so a changed encounter is processed
    /// again; `<source>:<encounter id>` when the version is unknown.
    pub fn idempotency_key(&self) -> String {
        match &self.version {
            Some(v) => format!("{}:{}@{v}", self.source, self.encounter_id),
            None => format!("{}:{}", self.source, self.encounter_id),
        }
    }

    /// The correlation id of the run and its events: `enc-<encounter id>`.
    pub fn correlation_id(&self) -> String {
        format!("enc-{}", self.encounter_id)
    }

    /// As a run's input.
    pub fn to_value(&self) -> Value {
        json!(self)
    }
}

/// A valid FHIR logical id: `[A-Za-z0-9-.]{1,64}`, not only dots.
pub fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !id.bytes().all(|b| b == b'.')
}

/// An event published outside a run commit, labelled like the engine labels a run's
/// events (run id, workflow, correlation id).
pub(crate) fn run_event(
    event_type: &str,
    run_id: crate::store::RunId,
    correlation_id: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
    mut data: Value,
) -> NewEvent {
    if let Value::Object(map) = &mut data {
        map.entry("runId").or_insert(json!(run_id));
        map.entry("workflow").or_insert(json!(WORKFLOW));
    }
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event_type.to_string(),
        correlation_id: Some(correlation_id.unwrap_or_else(|| run_id.to_string())),
        run_id: Some(run_id),
        workflow: Some(WORKFLOW.to_string()),
        source: format!("workflow:{WORKFLOW}"),
        data,
        created_at: at,
    }
}

/// Who decides whether prior authorization is needed.
enum Analyzer {
    /// The configured (or built-in) rule set.
    Rules(RuleSet),
    /// An OpenAI-compatible model.
    Llm {
        client: LlmClient,
        timeout: Duration,
    },
}

/// What the steps share.
struct EncounterWorkflow {
    services: Services,
    sources: Arc<EncounterSources>,
    analyzer: Analyzer,
    max_attempts: u32,
    /// How often a run waiting out an outage tries again.
    outage_retry_interval: Duration,
    /// How long a run waits out an outage before it fails.
    outage_max_wait: Duration,
    /// Deadline of one FHIR call.
    request_timeout: Duration,
    /// Each attempt's own deadline, a little under the engine's, so a slow attempt
    /// still ends in the handler and can report its failure.
    budget: Duration,
}

impl EncounterWorkflow {
    fn new(services: &Services, step_timeout: Duration) -> Self {
        let settings = &services.settings.encounters;
        let llm = &services.settings.providers.llm;
        // Start-up refused a rule set with problems (`settings::problems`).
        let rules = settings::rule_set(settings).unwrap_or_else(|_| RuleSet::builtin());
        // Start-up refuses `llm` without a configured model.
        let analyzer = if settings.analysis == crate::config::Analysis::Llm && llm.is_configured() {
            tracing::info!(model = %llm.model, "encounter analysis by the [providers.llm] model");
            Analyzer::Llm {
                client: LlmClient::new(
                    services.http.clone(),
                    LlmSettings {
                        base_url: llm.base_url.trim().to_string(),
                        api_key: (!llm.api_key.is_empty()).then(|| llm.api_key.clone()),
                        model: llm.model.clone(),
                        // A decision, not prose: the same facts should decide alike.
                        temperature: 0.0,
                        max_tokens: llm.max_tokens,
                        max_tokens_field: MaxTokensField::MaxTokens,
                    },
                ),
                timeout: llm.timeout,
            }
        } else {
            tracing::info!(
                rule_set = %rules.name,
                "encounters are analysed by the rule set (encounters.analysis = \"rules\")"
            );
            Analyzer::Rules(rules)
        };
        let margin = (step_timeout / 10).min(Duration::from_secs(1));
        Self {
            services: services.clone(),
            sources: services.encounter_sources.clone(),
            analyzer,
            max_attempts: settings.retry.max_attempts,
            outage_retry_interval: settings.outage_retry_interval,
            outage_max_wait: settings.outage_max_wait,
            request_timeout: services.settings.providers.fhir.timeout,
            budget: step_timeout.saturating_sub(margin),
        }
    }

    /// Runs one attempt of a step within its budget. When its last attempt fails on
    /// a transient error, the run parks and tries again (an outage is waited out for
    /// up to `outage_max_wait`); when it fails for good, publishes
    /// `EncounterProcessingFailed`.
    async fn attempt(
        &self,
        ctx: &StepContext,
        body: impl Future<Output = Result<StepOutcome, StepError>>,
    ) -> Result<StepOutcome, StepError> {
        let result = match tokio::time::timeout(self.budget, body).await {
            Ok(result) => result,
            Err(_) => Err(StepError::retryable(format!(
                "the step did not finish within {}",
                humantime::format_duration(self.budget)
            ))),
        };
        match result {
            Err(e) => match outage::wait_out(self, ctx, &e) {
                Some(parked) => {
                    outage::announce(self, ctx, &e, &parked).await;
                    Ok(parked)
                }
                None => {
                    self.report_failure(ctx, &e).await;
                    Err(e)
                }
            },
            done => done,
        }
    }

    async fn report_failure(&self, ctx: &StepContext, e: &StepError) {
        // A deferred attempt spent nothing; a cancelled run or a draining replica is
        // not a processing failure.
        let last = !e.is_retryable() || ctx.attempt >= self.max_attempts;
        if e.deferred || !last || ctx.cancel.is_cancelled() {
            return;
        }
        let input = EncounterInput::from_value(&ctx.input).ok();
        // Failed on a transient error (an outage outlasting `outage_max_wait`): the
        // recovery task retries it once the source answers again.
        if e.is_retryable()
            && let Some(i) = &input
            && let Err(err) = self
                .services
                .store
                .mark_encounter_failed_transient(
                    &ctx.tenant,
                    &i.encounter_id,
                    &i.source,
                    ctx.run_id,
                    Some(ctx.now()),
                )
                .await
        {
            tracing::warn!(run.id = %ctx.run_id, error = %err,
                "could not mark the encounter for retry after the outage");
        }
        let event = run_event(
            "EncounterProcessingFailed",
            ctx.run_id,
            ctx.correlation_id.clone(),
            ctx.now(),
            json!({
                "encounterId": input.as_ref().map(|i| i.encounter_id.clone()),
                "source": input.as_ref().map(|i| i.source.clone()),
                "step": ctx.step.as_ref(),
                "error": e.message,
                "kind": e.kind,
                "attempts": ctx.attempt,
            }),
        );
        if let Err(err) = self
            .services
            .store
            .append_events(&ctx.tenant, &[event])
            .await
        {
            tracing::warn!(run.id = %ctx.run_id, step = %ctx.step, error = %err,
                "could not publish EncounterProcessingFailed");
        }
        tracing::warn!(run.id = %ctx.run_id, step = %ctx.step, attempts = ctx.attempt,
            "encounter processing failed for good");
    }
}

/// The `encounter` workflow.
pub fn definitions(services: &Services) -> Result<Vec<WorkflowDefinition>, DefinitionError> {
    let engine = &services.settings.engine;
    let step_timeout = engine.attempt_timeout;
    let wf = Arc::new(EncounterWorkflow::new(services, step_timeout));
    let retry = RetryPolicy::from_settings(&services.settings.encounters.retry);
    let policy = StepPolicy::new()
        .critical()
        .retry(retry)
        .timeout(step_timeout);
    let step = |f: fn(Arc<EncounterWorkflow>, StepContext) -> steps::StepFut| {
        let wf = wf.clone();
        move |ctx: StepContext| f(wf.clone(), ctx)
    };
    let def = WorkflowDefinition::builder(WORKFLOW, 1)
        .step("hydrate", &[], policy.clone(), step(steps::hydrate))
        .step(
            "analyze",
            &["hydrate"],
            policy.clone(),
            step(steps::analyze),
        )
        .step(
            "generatePdf",
            &["hydrate", "analyze"],
            policy.clone(),
            step(steps::generate_pdf),
        )
        .step(
            "notify",
            &["analyze", "generatePdf"],
            policy,
            step(steps::notify),
        )
        .build()?;
    Ok(vec![def])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_lists_every_problem_and_refuses_ids_that_could_rewrite_a_path() {
        let problems =
            EncounterInput::from_value(&json!({"encounterId": "../Patient/1"})).unwrap_err();
        let pointers: Vec<_> = problems
            .as_slice()
            .iter()
            .map(|p| p.pointer.as_str())
            .collect();
        assert_eq!(pointers, ["/source", "/encounterId"]);
        let ok = EncounterInput::from_value(&json!({"source": "ehr", "encounterId": "enc-1.2"}))
            .unwrap();
        assert_eq!(ok.idempotency_key(), "ehr:enc-1.2");
        assert_eq!(ok.correlation_id(), "enc-enc-1.2");
        assert_eq!(
            ok.to_value(),
            json!({"source": "ehr", "encounterId": "enc-1.2"})
        );
        let versioned = EncounterInput::from_value(
            &json!({"source": "ehr", "encounterId": "enc-1", "version": "3"}),
        )
        .unwrap();
        assert_eq!(versioned.idempotency_key(), "ehr:enc-1@3");
        assert_eq!(
            EncounterInput::from_value(&versioned.to_value()).unwrap(),
            versioned
        );
        assert!(!is_fhir_id("..") && !is_fhir_id("") && !is_fhir_id(&"a".repeat(65)));
    }
}
