//! The prior-authorization request form, rendered as a PDF with embedded Unicode
//! fonts (subsets of the fonts in `fonts/`, so names such as 王伟 and symbols such
//! as → and ≥ print as written; no system fonts needed). Long content wraps and
//! flows onto further pages; every page carries the transaction id and page number.

mod embed;
mod fonts;
mod layout;
mod metrics;
mod sections;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use self::fonts::Font;
use self::layout::Layout;
use self::sections::{
    LABEL_COLUMN, coverage, criteria, diagnoses, encounter, observations, patient, recommendation,
    requesting_provider, services,
};
use super::analysis::Analysis;
use super::model::{
    ClinicalData, ConditionSummary, CoverageSummary, EncounterSummary, ObservationSummary,
    PatientSummary, ProviderSummary, RequestedService,
};
use crate::domain::validation::Problems;

/// Most pages a form may take; beyond this the input is not a sensible form.
const MAX_PAGES: usize = 200;

/// Everything printed on a prior-authorization request form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaForm {
    /// The workflow's transaction id, printed on every page.
    pub transaction_id: String,
    /// When the form was generated.
    pub generated_at: DateTime<Utc>,
    /// The patient.
    pub patient: PatientSummary,
    /// The patient's coverages in force, primary first.
    #[serde(default)]
    pub coverages: Vec<CoverageSummary>,
    /// The provider requesting the services.
    #[serde(default)]
    pub requesting_provider: Option<ProviderSummary>,
    /// The encounter.
    pub encounter: EncounterSummary,
    /// The services requested.
    #[serde(default)]
    pub services: Vec<RequestedService>,
    /// Diagnoses with their codes.
    pub diagnoses: Vec<ConditionSummary>,
    /// Observations supporting the request.
    pub observations: Vec<ObservationSummary>,
    /// The recommendation and its reasons.
    pub analysis: Analysis,
}

impl PaForm {
    /// A form for `data` and its `analysis`: refuted diagnoses and observations
    /// without any result are left off.
    pub fn new(
        transaction_id: impl Into<String>,
        generated_at: DateTime<Utc>,
        data: &ClinicalData,
        analysis: Analysis,
    ) -> Self {
        PaForm {
            transaction_id: transaction_id.into(),
            generated_at,
            patient: data.patient.clone(),
            coverages: data.coverages.clone(),
            requesting_provider: data.requesting_provider.clone(),
            encounter: data.encounter.clone(),
            services: data.services.clone(),
            diagnoses: data
                .conditions
                .iter()
                .filter(|c| {
                    !matches!(
                        c.verification_status.as_deref(),
                        Some("refuted" | "entered-in-error")
                    )
                })
                .cloned()
                .collect(),
            observations: data
                .observations
                .iter()
                .filter(|o| {
                    o.value.shown().is_some()
                        || o.components.iter().any(|c| c.value.shown().is_some())
                })
                .cloned()
                .collect(),
            analysis,
        }
    }
}

/// Why a form could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// Required parts of the form are missing or out of range.
    #[error("the form is incomplete: {0}")]
    Invalid(Problems),
    /// The content would fill an unreasonable number of pages.
    #[error("the form would need more than {limit} pages")]
    TooManyPages {
        /// The page limit.
        limit: usize,
    },
    /// The embedded fonts could not be read or subset (a defect of the build).
    #[error("the form's fonts could not be embedded: {0}")]
    Fonts(String),
}

fn validate(form: &PaForm) -> Result<(), Problems> {
    let mut problems = Problems::new();
    if form.transaction_id.trim().is_empty() {
        problems.push("/transactionId", "must not be empty");
    }
    if form.patient.id.trim().is_empty() {
        problems.push("/patient/id", "must not be empty");
    }
    if form.encounter.id.trim().is_empty() {
        problems.push("/encounter/id", "must not be empty");
    }
    if !(0.0..=1.0).contains(&form.analysis.confidence) {
        problems.push("/analysis/confidence", "must be a number from 0 to 1");
    }
    if form.analysis.justification.trim().is_empty() {
        problems.push("/analysis/justification", "must not be empty");
    }
    problems.into_result(())
}

/// Renders the form as PDF bytes.
pub fn render_pa_form(form: &PaForm) -> Result<Vec<u8>, PdfError> {
    validate(form).map_err(PdfError::Invalid)?;
    let mut page = Layout::new(fonts::faces().map_err(PdfError::Fonts)?);

    page.text(0.0, Font::Bold, 18.0, "Prior Authorization Request");
    page.gap(4.0);
    let generated = form.generated_at.format("%Y-%m-%d %H:%M UTC").to_string();
    page.row(LABEL_COLUMN, "Transaction", &form.transaction_id, 10.0);
    page.row(LABEL_COLUMN, "Generated", &generated, 10.0);

    recommendation(&mut page, &form.analysis);
    patient(&mut page, &form.patient);
    coverage(&mut page, &form.coverages);
    requesting_provider(&mut page, form.requesting_provider.as_ref());
    encounter(&mut page, &form.encounter);
    services(&mut page, &form.services);
    diagnoses(&mut page, &form.diagnoses);
    observations(&mut page, &form.observations);
    criteria(&mut page, &form.analysis);

    page.heading("Justification");
    page.text(0.0, Font::Regular, 10.0, &form.analysis.justification);

    page.heading("Review");
    page.row(
        LABEL_COLUMN,
        "Decision",
        "[ ] Approved  |  [ ] Denied  |  [ ] Pended",
        10.0,
    );
    page.gap(10.0);
    page.row(
        LABEL_COLUMN,
        "Reviewer signature",
        "______________________________",
        10.0,
    );
    page.gap(10.0);
    page.row(LABEL_COLUMN, "Date", "________________", 10.0);

    if page.page_count() > MAX_PAGES {
        return Err(PdfError::TooManyPages { limit: MAX_PAGES });
    }
    let transaction = form.transaction_id.clone();
    page.finish("Prior Authorization Request", move |n, total| {
        format!("Prior authorization request {transaction} \u{b7} page {n} of {total}")
    })
    .map_err(PdfError::Fonts)
}
