//! The outputs of the encounter steps, typed: each step writes one of these
//! structs, the steps after it read them back with `dep_as`, and the encounter's
//! state answer reads the analysis through [`analysis_of`]. Field names are the
//! stored JSON's, so runs stored by an earlier version still finish.

use serde::{Deserialize, Serialize};

use crate::domain::encounter::{Analysis, ClinicalCounts, ClinicalData};
use crate::engine::RunView;

/// `hydrate`: the clinical data the next steps need, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hydrated {
    /// The configured source read.
    pub source: String,
    /// The payer whose rules apply, if the source names one.
    pub payer: Option<String>,
    /// The encounter's FHIR id.
    pub encounter_id: String,
    /// The version read (the one processed).
    pub version_id: Option<String>,
    /// The patient's FHIR id.
    pub patient_id: String,
    /// Sizes of the data.
    pub counts: ClinicalCounts,
    /// The data.
    pub clinical_data: ClinicalData,
}

/// `analyze`: the prior-authorization decision and what made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analyzed {
    /// The decision.
    pub analysis: Analysis,
    /// `rules` or `llm`.
    pub provider: String,
    /// Why this analyzer decided, when worth saying.
    pub note: Option<String>,
}

/// `generatePdf`: the form made and stored, or why none was needed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormOutput {
    /// The run id, printed on the form.
    pub transaction_id: String,
    /// The encounter's FHIR id.
    pub encounter_id: String,
    /// The patient's FHIR id.
    pub patient_id: String,
    /// The analysis's decision.
    pub requires_prior_auth: bool,
    /// True when a form was stored.
    pub form_generated: bool,
    /// The form's size; absent when none was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<usize>,
    /// Where the form is served; `null` when none was made.
    pub form_url: Option<String>,
}

/// `notify`: the notice published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notified {
    /// Always true once the step completed.
    pub notified: bool,
    /// `PA_FORM_READY` or `PA_NOT_REQUIRED`.
    pub event_type: String,
    /// The notice's text.
    pub message: String,
}

/// The analysis of an encounter run, once `analyze` completed; `None` before, or
/// when its stored output does not read as [`Analyzed`].
pub fn analysis_of(run: &RunView) -> Option<Analysis> {
    run.output_as::<Analyzed>("analyze").map(|out| out.analysis)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::workflows::support::output_tests::round_trip;

    #[test]
    fn a_form_output_without_a_form_reads_as_stored_before() {
        let typed: FormOutput = round_trip(json!({
            "transactionId": "t", "encounterId": "e", "patientId": "p",
            "requiresPriorAuth": false, "formGenerated": false, "formUrl": null,
        }));
        assert_eq!((typed.size_bytes, typed.form_url), (None, None));
        let with_form: FormOutput = round_trip(json!({
            "transactionId": "t", "encounterId": "e", "patientId": "p",
            "requiresPriorAuth": true, "formGenerated": true, "sizeBytes": 1200,
            "formUrl": "/v1/encounters/e/form.pdf?source=s",
        }));
        assert_eq!(with_form.size_bytes, Some(1200));
    }

    #[test]
    fn a_notice_reads_as_stored_before() {
        let typed: Notified = round_trip(json!({
            "notified": true, "eventType": "PA_NOT_REQUIRED", "message": "m",
        }));
        assert_eq!(typed.event_type, "PA_NOT_REQUIRED");
    }

    #[test]
    fn a_hydrated_output_without_a_payer_or_version_reads() {
        let data = crate::domain::encounter::ClinicalData::default();
        let stored = json!({
            "source": "s", "payer": null, "encounterId": "e", "versionId": null,
            "patientId": "p", "counts": data.counts(), "clinicalData": data,
        });
        let typed: Hydrated = round_trip(stored);
        assert_eq!(typed.payer, None);
    }

    #[test]
    fn an_analysis_output_that_does_not_read_is_an_error_not_a_panic() {
        assert!(serde_json::from_value::<Analyzed>(json!({"analysis": "yes"})).is_err());
    }
}
