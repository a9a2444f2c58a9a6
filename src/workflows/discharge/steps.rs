//! `ingest` and `generateSummary`: the case into the store, and the owner's
//! summary written from it by a built-in template or the configured LLM.

use serde_json::json;
use uuid::Uuid;

use super::input::DischargeInput;
use super::outputs::{IngestOutput, SummaryOutput};
use super::{Discharge, invalid, options, provider_failure};
use crate::domain::discharge::email::OTHER_NOTES_TITLE;
use crate::domain::discharge::summary::{llm_messages, render_summary};
use crate::engine::{Messages, StepContext, StepError, StepOutcome, StepOutput};
use crate::providers::llm::LlmError;
use crate::providers::resilience::CallError;
use crate::store::{NewCase, NewSummary};

/// `ingest`: stores the case from `rawData`, or resolves `existingCase`.
pub(super) async fn ingest(d: Discharge, ctx: StepContext) -> Result<StepOutcome, StepError> {
    options::ingest(&ctx.options).map_err(|p| invalid("invalid ingest options", &p))?;
    let intake = match DischargeInput::from_run(&ctx.input, &d.phone_region)? {
        DischargeInput::Existing { existing_case } => {
            let case_id = existing_case.case_id;
            let row = d
                .store
                .get_case(&ctx.tenant, case_id)
                .await
                .map_err(StepError::from)?
                .ok_or_else(|| StepError::permanent(format!("case {case_id} does not exist")))?;
            return Ok(StepOutcome::Done(StepOutput::typed(&IngestOutput {
                case_id: row.case_id,
                existing: true,
                mode: row.mode,
                source: row.source,
                patient: row.patient.0,
                entities: row.entities.0,
            })?));
        }
        DischargeInput::New { intake, .. } => *intake,
    };
    let row = d
        .store
        .insert_case(&NewCase {
            tenant_id: ctx.tenant.clone(),
            case_id: Uuid::now_v7(),
            origin_key: ctx.idempotency_key.clone(),
            run_id: ctx.run_id,
            mode: intake.mode.as_str().to_string(),
            source: intake.source.clone(),
            patient: json!(intake.case.patient),
            data: json!(intake.case),
            entities: json!(intake.entities),
            created_at: ctx.now(),
        })
        .await
        .map_err(StepError::from)?;
    let mut messages = Messages::default();
    let unrecognised = &intake.case.unrecognised;
    if !unrecognised.is_empty() {
        // Listed for the clinic in the answer; never logged (patient data).
        messages.warnings.push(json!({
            "message": format!(
                "{} line(s) of the note were not recognised; the owner's email shows them as written under \"{OTHER_NOTES_TITLE}\"",
                unrecognised.len()
            ),
            "lines": unrecognised,
        }));
    }
    let event = json!({
        "caseId": row.case_id,
        "mode": row.mode,
        "source": row.source,
        "entities": row.entities.0,
    });
    tracing::info!(case.id = %row.case_id, mode = %row.mode, "discharge case ingested");
    let output = IngestOutput {
        case_id: row.case_id,
        existing: false,
        mode: row.mode,
        source: row.source,
        patient: row.patient.0,
        entities: row.entities.0,
    };
    Ok(StepOutcome::Done(
        StepOutput::typed(&output)?
            .with_messages(messages)
            .emit("CaseIngested", event),
    ))
}

fn llm_error(e: CallError<LlmError>) -> StepError {
    let status = match &e {
        CallError::Provider(LlmError::Status { status, .. }) => json!(status),
        _ => json!(null),
    };
    provider_failure(&e, json!({"provider": "llm", "status": status}))
}

/// `generateSummary`: writes and stores the owner's summary of the case.
pub(super) async fn generate_summary(
    d: Discharge,
    ctx: StepContext,
) -> Result<StepOutcome, StepError> {
    let opts = options::summary(&ctx.options)
        .map_err(|p| invalid("invalid generateSummary options", &p))?;
    let case_id = ctx.dep_as::<IngestOutput>("ingest")?.case_id;
    let case = d.case(&ctx.tenant, case_id).await?;
    let (content, generated_by) = match &d.providers.llm {
        Some(llm) => {
            let (system, user) = llm_messages(&case);
            let completion = tokio::select! {
                c = llm.call(|c| c.complete(&system, &user)) => c.map_err(llm_error)?,
                _ = ctx.cancel.cancelled() => return Err(StepError::permanent("cancelled")),
            };
            (completion.content, format!("llm:{}", completion.model))
        }
        None => {
            let text = render_summary(&opts.template_id, &case)
                .map_err(|e| StepError::permanent(e.to_string()))?;
            (text, format!("template:{}", opts.template_id))
        }
    };
    let row = d
        .store
        .insert_summary(&NewSummary {
            tenant_id: ctx.tenant.clone(),
            summary_id: Uuid::now_v7(),
            case_id,
            origin_key: ctx.idempotency_key.clone(),
            run_id: ctx.run_id,
            generated_by,
            content,
            created_at: ctx.now(),
        })
        .await
        .map_err(StepError::from)?;
    tracing::info!(summary.id = %row.summary_id, generated_by = %row.generated_by, "discharge summary written");
    let event = json!({
        "summaryId": row.summary_id,
        "caseId": row.case_id,
        "generatedBy": row.generated_by,
    });
    Ok(StepOutcome::Done(
        StepOutput::typed(&SummaryOutput {
            summary_id: row.summary_id,
            case_id: row.case_id,
            content: row.content,
            generated_by: row.generated_by,
        })?
        .emit("SummaryGenerated", event),
    ))
}
