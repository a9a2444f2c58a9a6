//! The four steps of the `encounter` workflow. Outputs (typed, in
//! [`super::outputs`]) carry the clinical data the next steps need; events carry only
//! ids, counts and the decision.

use std::future::Future;
use std::sync::Arc;

use serde_json::json;

use super::outputs::{Analyzed, FormOutput, Hydrated, Notified};
use super::{Analyzer, EncounterInput, EncounterWorkflow, Source};
use crate::domain::encounter::ClinicalData;
use crate::domain::encounter::llm_analysis::{analysis_messages, parse_analysis};
use crate::domain::encounter::pdf::{PaForm, render_pa_form};
use crate::domain::encounter::rules::analyze as analyze_by_rules;
use crate::engine::{StepContext, StepError, StepFuture, StepOutcome, StepOutput};
use crate::providers::fhir::{FhirClient, FhirError, Practitioner};
use crate::store::NewEncounterForm;
use crate::workflows::support::call_failed;

/// What a step function returns.
pub(super) type StepFut = StepFuture;

impl EncounterWorkflow {
    /// The run's input and its source, which must belong to the run's tenant (runs
    /// can also be submitted through the generic endpoint, with any input).
    fn source(&self, ctx: &StepContext) -> Result<(EncounterInput, Arc<Source>), StepError> {
        let input = EncounterInput::from_value(&ctx.input).map_err(|p| {
            let list: Vec<String> = p
                .as_slice()
                .iter()
                .map(|p| format!("{} {}", p.pointer, p.message))
                .collect();
            StepError::permanent(format!("invalid input: {}", list.join("; ")))
        })?;
        let source = self
            .sources
            .for_tenant(&input.source, &ctx.tenant)
            .cloned()
            .ok_or_else(|| {
                StepError::permanent(format!(
                    "`{}` is not a configured FHIR source of this tenant",
                    input.source
                ))
            })?;
        Ok((input, source))
    }

    /// A FHIR call through the breaker of `source`, within the request deadline.
    async fn fhir<T>(
        &self,
        source: &Source,
        call: impl Future<Output = Result<T, crate::providers::fhir::FhirError>>,
    ) -> Result<T, StepError> {
        self.services
            .resilience
            .call(&source.endpoint, self.request_timeout, call)
            .await
            .map_err(|e| call_failed("fhir", e))
    }
}

/// `hydrate`: the encounter, its patient, conditions and observations (entries in
/// error left out), the patient's coverage, the requesting practitioner and the
/// requested services. Emits `ClinicalDataHydrated` with counts.
pub(super) fn hydrate(wf: Arc<EncounterWorkflow>, ctx: StepContext) -> StepFut {
    Box::pin(async move { wf.attempt(&ctx, hydrate_once(&wf, &ctx)).await })
}

async fn hydrate_once(wf: &EncounterWorkflow, ctx: &StepContext) -> Result<StepOutcome, StepError> {
    let (input, source) = wf.source(ctx)?;
    if ctx.attempt == 1 && ctx.wake.is_none() {
        wf.started(ctx, &input).await;
    }
    let client = &source.client;
    let encounter = wf
        .fhir(&source, client.encounter(&input.encounter_id))
        .await?;
    // The version read is the one processed (a push may name none, or an older one).
    let version = encounter.version().or(input.version.clone());
    if encounter.status.as_deref() != Some("finished") {
        return Err(StepError::permanent(format!(
            "encounter {} is not finished (status {})",
            input.encounter_id,
            encounter.status.as_deref().unwrap_or("missing")
        )));
    }
    let patient_id = encounter.patient_id().map(str::to_owned).ok_or_else(|| {
        StepError::permanent(format!(
            "encounter {} has no Patient subject",
            input.encounter_id
        ))
    })?;
    let (patient, conditions, observations) = tokio::try_join!(
        wf.fhir(&source, client.patient(&patient_id)),
        wf.fhir(&source, client.conditions_for(&input.encounter_id)),
        wf.fhir(&source, client.observations_for(&input.encounter_id)),
    )?;
    // What a payer submission needs besides the clinical data: coverage, the
    // requesting provider's NPI and the requested services (three requests at a
    // time at most, like the clinical reads).
    let practitioner_id = encounter
        .requesting_participant()
        .and_then(|p| p.individual.as_ref())
        .and_then(|r| r.id_of("Practitioner"))
        .map(str::to_owned);
    let (coverages, service_requests, practitioner) = tokio::try_join!(
        wf.fhir(
            &source,
            unsupported_as_none(client.coverages_for(&patient_id))
        ),
        wf.fhir(
            &source,
            unsupported_as_none(client.service_requests_for(&input.encounter_id))
        ),
        wf.fhir(
            &source,
            optional_practitioner(client, practitioner_id.as_deref())
        ),
    )?;
    let mut data = ClinicalData::from_fhir(&encounter, &patient, &conditions, &observations)
        .with_submission_details(
            &encounter,
            &coverages,
            practitioner.as_ref(),
            &service_requests,
        );
    // The server's copy may omit ids; the run is about the ids it asked for.
    data.encounter.id = input.encounter_id.clone();
    data.patient.id = patient_id.clone();
    let counts = data.counts();
    tracing::info!(run.id = %ctx.run_id, conditions = counts.conditions,
        observations = counts.observations, "encounter hydrated");
    let output = StepOutput::typed(&Hydrated {
        source: source.name.clone(),
        payer: source.payer.clone(),
        encounter_id: input.encounter_id.clone(),
        version_id: version.clone(),
        patient_id: patient_id.clone(),
        counts,
        clinical_data: data,
    })?;
    Ok(StepOutcome::Done(output.emit(
        "ClinicalDataHydrated",
        json!({
            "source": source.name,
            "encounterId": input.encounter_id,
            "versionId": version,
            "patientId": patient_id,
            "counts": counts,
        }),
    )))
}

/// A search the form can do without: a server that does not offer it (it answers
/// 400, 403, 404, 405 or 501) yields nothing, and the form says the detail is
/// missing, instead of failing a run whose clinical data is complete.
async fn unsupported_as_none<T>(
    search: impl Future<Output = Result<Vec<T>, FhirError>>,
) -> Result<Vec<T>, FhirError> {
    match search.await {
        Err(FhirError::Status {
            status: 400 | 403 | 404 | 405 | 501,
            ..
        }) => Ok(Vec::new()),
        other => other,
    }
}

/// The practitioner an encounter names, or `None` when it names none or the server
/// no longer has it (the form then shows the participant's display name alone).
async fn optional_practitioner(
    client: &FhirClient,
    id: Option<&str>,
) -> Result<Option<Practitioner>, FhirError> {
    let Some(id) = id else {
        return Ok(None);
    };
    match client.practitioner(id).await {
        Ok(p) => Ok(Some(p)),
        Err(
            FhirError::Status {
                status: 404 | 410, ..
            }
            | FhirError::InvalidId,
        ) => Ok(None),
        Err(e) => Err(e),
    }
}

impl EncounterWorkflow {
    /// Publishes `EncounterProcessingStarted` as the first attempt of the first step
    /// begins (outside the step's commit, so it precedes the FHIR reads).
    async fn started(&self, ctx: &StepContext, input: &EncounterInput) {
        let event = super::run_event(
            "EncounterProcessingStarted",
            ctx.run_id,
            ctx.correlation_id.clone(),
            ctx.now(),
            json!({
                "encounterId": input.encounter_id,
                "source": input.source,
                "versionId": input.version,
            }),
        );
        if let Err(e) = self
            .services
            .store
            .append_events(&ctx.tenant, &[event])
            .await
        {
            tracing::warn!(run.id = %ctx.run_id, error = %e,
                "could not publish EncounterProcessingStarted");
        }
    }
}

/// `analyze`: the prior-authorization decision, by the rule set or by the model.
/// Emits `IntelligenceAnalysisComplete`.
pub(super) fn analyze(wf: Arc<EncounterWorkflow>, ctx: StepContext) -> StepFut {
    Box::pin(async move { wf.attempt(&ctx, analyze_once(&wf, &ctx)).await })
}

async fn analyze_once(wf: &EncounterWorkflow, ctx: &StepContext) -> Result<StepOutcome, StepError> {
    let Hydrated {
        clinical_data: data,
        payer,
        ..
    } = ctx.dep_as("hydrate")?;
    let (analysis, provider, note) = match &wf.analyzer {
        Analyzer::Rules(rules) => (
            analyze_by_rules(rules, &data, payer.as_deref()),
            "rules",
            Some("encounters.analysis is \"rules\": the rule set decided"),
        ),
        Analyzer::Llm { client, timeout } => {
            let (system, user) = analysis_messages(&data);
            let completion = wf
                .services
                .resilience
                .call("llm", *timeout, client.complete(&system, &user))
                .await
                .map_err(|e| call_failed("llm", e))?;
            // A model may answer differently next time: an unusable answer is worth
            // another attempt.
            let analysis = parse_analysis(&completion.content, &completion.model)
                .map_err(|e| StepError::retryable(e.to_string()))?;
            (analysis, "llm", None)
        }
    };
    let rules_met: Vec<&str> = analysis
        .criteria_met
        .iter()
        .map(|c| c.rule.as_str())
        .collect();
    let event = json!({
        "encounterId": data.encounter.id,
        "requiresPriorAuth": analysis.requires_prior_auth,
        "confidence": analysis.confidence,
        "analyzer": analysis.analyzer,
        "criteriaMet": rules_met,
    });
    let output = StepOutput::typed(&Analyzed {
        analysis,
        provider: provider.to_owned(),
        note: note.map(str::to_owned),
    })?;
    Ok(StepOutcome::Done(
        output.emit("IntelligenceAnalysisComplete", event),
    ))
}

/// `generatePdf`: renders the form and stores it. Emits `PdfGenerated` with its size.
pub(super) fn generate_pdf(wf: Arc<EncounterWorkflow>, ctx: StepContext) -> StepFut {
    Box::pin(async move { wf.attempt(&ctx, generate_pdf_once(&wf, &ctx)).await })
}

async fn generate_pdf_once(
    wf: &EncounterWorkflow,
    ctx: &StepContext,
) -> Result<StepOutcome, StepError> {
    let Hydrated {
        clinical_data: data,
        source,
        version_id: version,
        ..
    } = ctx.dep_as("hydrate")?;
    let Analyzed { analysis, .. } = ctx.dep_as("analyze")?;
    // The run id is the transaction: stable across attempts and printed on every page.
    let transaction_id = ctx.run_id.to_string();
    let created_at = ctx.now();
    if !analysis.requires_prior_auth {
        // No form: none is needed. A form made for an earlier version is obsolete.
        wf.services
            .store
            .supersede_encounter_forms(
                &ctx.tenant,
                &data.encounter.id,
                &source,
                ctx.run_id,
                &transaction_id,
                created_at,
            )
            .await
            .map_err(|e| StepError::retryable(format!("superseding earlier forms failed: {e}")))?;
        return Ok(StepOutcome::Done(StepOutput::typed(&FormOutput {
            transaction_id,
            encounter_id: data.encounter.id,
            patient_id: data.patient.id,
            requires_prior_auth: false,
            form_generated: false,
            size_bytes: None,
            form_url: None,
        })?));
    }
    let form = PaForm::new(transaction_id.clone(), created_at, &data, analysis);
    let pdf = tokio::task::spawn_blocking(move || render_pa_form(&form))
        .await
        .map_err(|_| StepError::permanent("rendering the form was interrupted"))?
        .map_err(|e| StepError::permanent(e.to_string()))?;
    let size = pdf.len();
    wf.services
        .store
        .save_encounter_form(&NewEncounterForm {
            tenant_id: ctx.tenant.clone(),
            encounter_id: data.encounter.id.clone(),
            source: source.clone(),
            run_id: ctx.run_id,
            transaction_id: transaction_id.clone(),
            version,
            pdf,
            created_at,
        })
        .await
        .map_err(|e| StepError::retryable(format!("storing the form failed: {e}")))?;
    let form_url = form_url(&data.encounter.id, &source);
    let event = json!({
        "encounterId": data.encounter.id,
        "transactionId": transaction_id,
        "sizeBytes": size,
        "formUrl": form_url,
    });
    let output = StepOutput::typed(&FormOutput {
        transaction_id,
        encounter_id: data.encounter.id,
        patient_id: data.patient.id,
        requires_prior_auth: true,
        form_generated: true,
        size_bytes: Some(size),
        form_url: Some(form_url),
    })?;
    Ok(StepOutcome::Done(output.emit("PdfGenerated", event)))
}

/// Where the form of an encounter is served.
pub(super) fn form_url(encounter_id: &str, source: &str) -> String {
    format!("/v1/encounters/{encounter_id}/form.pdf?source={source}")
}

/// `notify`: emits `PA_FORM_READY` with the form, or `PA_NOT_REQUIRED` with the
/// analysis when no prior authorization is needed.
pub(super) fn notify(wf: Arc<EncounterWorkflow>, ctx: StepContext) -> StepFut {
    Box::pin(async move { wf.attempt(&ctx, notify_once(&ctx)).await })
}

async fn notify_once(ctx: &StepContext) -> Result<StepOutcome, StepError> {
    let FormOutput {
        transaction_id,
        encounter_id,
        patient_id,
        form_url,
        ..
    } = ctx.dep_as("generatePdf")?;
    let Analyzed { analysis, .. } = ctx.dep_as("analyze")?;
    let (event_type, message) = match &form_url {
        Some(_) if analysis.requires_prior_auth => (
            "PA_FORM_READY",
            format!(
                "The prior-authorization form for encounter {encounter_id} is ready for review."
            ),
        ),
        _ => (
            "PA_NOT_REQUIRED",
            format!("Encounter {encounter_id} needs no prior authorization; no form was made."),
        ),
    };
    let mut data = json!({
        "transactionId": transaction_id,
        "encounterId": encounter_id,
        "patientId": patient_id,
        "requiresPriorAuth": analysis.requires_prior_auth,
        "message": message,
    });
    match form_url {
        Some(url) if analysis.requires_prior_auth => data["formUrl"] = json!(url),
        _ => data["analysis"] = json!(analysis),
    }
    let output = StepOutput::typed(&Notified {
        notified: true,
        event_type: event_type.to_owned(),
        message,
    })?;
    Ok(StepOutcome::Done(output.emit(event_type, data)))
}
