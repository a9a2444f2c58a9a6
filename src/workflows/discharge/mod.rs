//! The `discharge` workflow: a clinic discharges a patient, and careflow ingests
//! the case, writes the owner's discharge summary, prepares and schedules the
//! owner's email, and schedules the follow-up call.
//!
//! Steps: `ingest` → `generateSummary` → `prepareEmail` → `scheduleEmail`, and
//! `ingest` → `scheduleCall`. With an `existingCase` input, `ingest` only resolves the
//! stored case (its output says `existing: true`) and the case id flows on.
//!
//! Sending is durable follow-up work: `scheduleEmail` puts the email in the outbox
//! and starts a `discharge-email-delivery` child run, `scheduleCall` records the call
//! and starts a `discharge-call-placement` child run. Each child parks on an engine
//! timer until the row's `scheduledFor`, then delivers with its own retries,
//! checking the row's status first and recording the outcome in the same step, so
//! nothing is lost or repeated across restarts. A cancelled delivery run cancels
//! its email or call.
//!
//! `discharge-summary` is the summary alone, for tenants' own workflows to
//! `invoke`: the same `ingest` and `generateSummary` steps on the same input (a
//! case in `rawData`, or a stored one in `existingCase`), and nothing sent.

mod call;
mod email;
pub mod input;
pub mod options;
pub mod outbox;
pub mod outputs;
mod steps;

use std::sync::Arc;

use serde_json::{Value, json};
use uuid::Uuid;

use super::Services;
use crate::config::DischargeSettings;
use crate::domain::discharge::case::CaseData;
use crate::domain::discharge::phone::PhoneRegion;
use crate::domain::validation::Problems;
use crate::engine::{
    DefinitionError, Messages, RetryPolicy, StepError, StepPolicy, WorkflowDefinition,
};
use crate::providers::llm::LlmClient;
use crate::providers::resilience::{CallError, ProviderError, Resilient};
use crate::providers::smtp::{SmtpSender, SpoolWriter};
use crate::providers::twilio::TwilioClient;
use crate::store::{Store, TenantId};
use input::DischargeInput;

/// The workflow's name.
pub const WORKFLOW: &str = "discharge";
/// The summary alone: `ingest` → `generateSummary`, nothing sent.
pub const SUMMARY: &str = "discharge-summary";
/// The child workflow delivering one owner email.
pub const EMAIL_DELIVERY: &str = "discharge-email-delivery";
/// The child workflow placing one follow-up call.
pub const CALL_PLACEMENT: &str = "discharge-call-placement";
/// The steps, in definition order.
pub const STEPS: [&str; 5] = [
    "ingest",
    "generateSummary",
    "prepareEmail",
    "scheduleEmail",
    "scheduleCall",
];

/// The outside services, as the operator configured them: the shared clients,
/// each behind the resilience layer, and the spool for when no relay is set.
struct Providers {
    /// `None`: summaries come from the built-in templates.
    llm: Option<Resilient<LlmClient>>,
    /// `None`: emails are spooled. `Err`: configured but unusable (every delivery
    /// fails with the reason, rather than silently spooling).
    smtp: Option<Result<Resilient<SmtpSender>, String>>,
    from: String,
    spool: SpoolWriter,
    /// `None`: calls are recorded as `not_configured`.
    twilio: Option<Resilient<TwilioClient>>,
}

impl Providers {
    fn from_services(services: &Services) -> Self {
        let clients = &services.providers;
        Self {
            llm: clients.llm.clone(),
            smtp: clients.smtp.clone(),
            from: services.settings.providers.smtp.from.clone(),
            spool: SpoolWriter::new(services.settings.providers.smtp.spool_dir.clone()),
            twilio: clients.twilio.clone(),
        }
    }
}

/// `discharge.default_phone_region` read into the region numbers without a country
/// code are read in; the error names the key, and start-up stops on it.
pub fn phone_region(settings: &DischargeSettings) -> Result<PhoneRegion, String> {
    PhoneRegion::parse(&settings.default_phone_region)
        .map_err(|e| format!("discharge.default_phone_region: {e}"))
}

/// What every discharge step shares.
#[derive(Clone)]
struct Discharge {
    store: Arc<dyn Store>,
    providers: Arc<Providers>,
    clinic_name: String,
    /// Where phone numbers without a country code are read.
    phone_region: PhoneRegion,
    email_retry: RetryPolicy,
    call_retry: RetryPolicy,
}

/// The `discharge` workflow, its two delivery workflows and the summary alone.
pub fn definitions(services: &Services) -> Result<Vec<WorkflowDefinition>, DefinitionError> {
    let settings = &services.settings;
    let d = Discharge {
        store: services.store.clone(),
        providers: Arc::new(Providers::from_services(services)),
        clinic_name: settings.discharge.clinic_name.clone(),
        phone_region: services.phone_region,
        email_retry: RetryPolicy::from_settings(&settings.providers.smtp.retry),
        call_retry: RetryPolicy::from_settings(&settings.providers.twilio.retry),
    };
    let region = d.phone_region;
    let main = WorkflowDefinition::builder(WORKFLOW, 1)
        .input_reader(move |input| DischargeInput::for_submission(input, &region))
        .step("ingest", &[], StepPolicy::new().critical(), {
            let d = d.clone();
            move |ctx| steps::ingest(d.clone(), ctx)
        })
        .step("generateSummary", &["ingest"], StepPolicy::new(), {
            let d = d.clone();
            move |ctx| steps::generate_summary(d.clone(), ctx)
        })
        .step("prepareEmail", &["generateSummary"], StepPolicy::new(), {
            let d = d.clone();
            move |ctx| email::prepare(d.clone(), ctx)
        })
        .step("scheduleEmail", &["prepareEmail"], StepPolicy::new(), {
            let d = d.clone();
            move |ctx| email::schedule(d.clone(), ctx)
        })
        .step("scheduleCall", &["ingest"], StepPolicy::new(), {
            let d = d.clone();
            move |ctx| call::schedule(d.clone(), ctx)
        })
        .build()?;
    let delivery = WorkflowDefinition::builder(EMAIL_DELIVERY, 1)
        .step(
            "deliver",
            &[],
            StepPolicy::new().retry(d.email_retry.clone()),
            {
                let d = d.clone();
                move |ctx| email::deliver(d.clone(), ctx)
            },
        )
        .on_cancel({
            let d = d.clone();
            move |run| email::delivery_cancelled(d.clone(), run)
        })
        .build()?;
    let placement = WorkflowDefinition::builder(CALL_PLACEMENT, 1)
        .step(
            "place",
            &[],
            StepPolicy::new().retry(d.call_retry.clone()),
            {
                let d = d.clone();
                move |ctx| call::place(d.clone(), ctx)
            },
        )
        .on_cancel({
            let d = d.clone();
            move |run| call::placement_cancelled(d.clone(), run)
        })
        .build()?;
    // Both steps are critical here: the summary is the whole point, so a failure to
    // write it fails the run (and the `invoke` step of a tenant's workflow with it).
    let summary = WorkflowDefinition::builder(SUMMARY, 1)
        .input_reader(move |input| DischargeInput::for_submission(input, &region))
        .step("ingest", &[], StepPolicy::new().critical(), {
            let d = d.clone();
            move |ctx| steps::ingest(d.clone(), ctx)
        })
        .step(
            "generateSummary",
            &["ingest"],
            StepPolicy::new().critical(),
            {
                let d = d.clone();
                move |ctx| steps::generate_summary(d.clone(), ctx)
            },
        )
        .build()?;
    Ok(vec![main, delivery, placement, summary])
}

/// A guarded provider call's failure as a step error carrying `details`: an open
/// breaker defers the step until its next trial; other failures are retryable (after
/// the delay the provider asked for) or permanent as the provider's answer says.
fn provider_failure<E: ProviderError>(e: &CallError<E>, details: Value) -> StepError {
    let error = match e {
        CallError::Open(_) => StepError::deferred(e.to_string(), e.retry_after()),
        _ if e.is_retryable() => {
            StepError::retryable(e.to_string()).with_retry_after(e.retry_after())
        }
        _ => StepError::permanent(e.to_string()),
    };
    error.with_details(details)
}

/// Problems as step validation messages.
fn messages_of(problems: &Problems) -> Messages {
    Messages {
        errors: problems
            .as_slice()
            .iter()
            .map(|p| json!({"pointer": p.pointer, "message": p.message}))
            .collect(),
        ..Messages::default()
    }
}

/// A permanent failure listing `problems`.
fn invalid(what: &str, problems: &Problems) -> StepError {
    StepError::permanent(format!("{what}: {problems}")).with_messages(messages_of(problems))
}

impl Discharge {
    /// The stored case, as the domain types it.
    async fn case(&self, tenant: &TenantId, case_id: Uuid) -> Result<CaseData, StepError> {
        let row = self
            .store
            .get_case(tenant, case_id)
            .await
            .map_err(StepError::from)?
            .ok_or_else(|| StepError::permanent(format!("case {case_id} does not exist")))?;
        serde_json::from_value(row.data.0)
            .map_err(|e| StepError::permanent(format!("stored case {case_id} is unreadable: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn the_default_region_is_us_and_a_bad_code_names_the_setting() {
        let mut s = Settings::defaults().discharge;
        assert_eq!(super::phone_region(&s).unwrap().code(), Some("US"));
        s.default_phone_region = "USA".into();
        let err = super::phone_region(&s).unwrap_err();
        assert!(err.starts_with("discharge.default_phone_region:"), "{err}");
        assert!(err.contains("region code"), "{err}");
        s.default_phone_region = String::new();
        assert_eq!(super::phone_region(&s).unwrap().code(), None);
    }
}
