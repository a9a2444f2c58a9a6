//! Phase 3, `coverageCalculation`: computes the version's coverage and stores it in one
//! transaction, then marks the hospital's import `COMPLETED`. A failure stores nothing
//! and is recorded as the step's error (a warning of the import); the run still
//! completes and the coverage can be recalculated later.

use std::sync::Arc;

use serde_json::json;

use super::outputs::Coverage;
use super::{ImportInput, Phase, version_of};
use crate::domain::schedule::calculate::calculate_and_store;
use crate::domain::schedule::version_view::CoverageSummary;
use crate::engine::{StepContext, StepError, StepOutcome, StepOutput};
use crate::store::ImportState;

pub(super) async fn run(phase: Arc<Phase>, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let input = ImportInput::of(&ctx)?;
    let version = version_of(&ctx)?;
    let services = &phase.services;
    let now = ctx.now();
    let calculated = calculate_and_store(
        services.store.as_ref(),
        &ctx.tenant,
        version,
        services.settings.schedules.max_coverage_shifts,
        now,
    )
    .await;
    match calculated {
        Ok(report) => {
            phase.finish(&ctx, &input, ImportState::Completed).await;
            let summary = CoverageSummary::from_report(&report, now);
            let event = json!({
                "versionId": version,
                "overallPercentage": summary.overall_percentage,
                "uncovered": summary.uncovered_shifts.len(),
                "underCovered": summary.under_covered_shifts.len(),
            });
            let output = StepOutput::typed(&Coverage {
                version_id: version,
                summary,
            })?;
            Ok(StepOutcome::Done(output.emit("CoverageCalculated", event)))
        }
        Err(e) => {
            let error = if e.is_retryable() {
                StepError::retryable(e.to_string())
            } else {
                StepError::permanent(e.to_string())
            };
            if phase.is_last(&error, &ctx) {
                // The version exists: the import completed, with a warning.
                phase.finish(&ctx, &input, ImportState::Completed).await;
            }
            Err(error)
        }
    }
}
