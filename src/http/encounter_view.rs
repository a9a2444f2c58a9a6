//! An encounter's processing state as `GET /v1/encounters/{id}` shows it: the run
//! and its steps, the analysis once made, and the prior-authorization forms (the
//! current one and those newer versions superseded), each with its download URL.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::stored::Unlisted;
use crate::domain::encounter::analysis::Analysis;
use crate::engine::RunView;
use crate::store::{EncounterFormInfo, EncounterRunRow, RunId, RunStatus, StepStatus};

/// A step of an encounter's run.
#[derive(Debug, Serialize, ToSchema)]
pub struct EncounterStep {
    /// `hydrate`, `analyze`, `generatePdf` or `notify`.
    pub name: String,
    /// Status.
    pub status: StepStatus,
    /// Attempts so far.
    pub attempts: i32,
    /// The last attempt's error, if it failed.
    #[schema(required = true)]
    pub error: Option<Value>,
}

/// A prior-authorization form of an encounter.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EncounterForm {
    /// The transaction (the run's idempotency key) that made it.
    pub transaction_id: String,
    /// The run that made it.
    pub run_id: RunId,
    /// The encounter version it is of.
    #[schema(required = true)]
    pub version_id: Option<String>,
    /// Size of the PDF.
    pub size_bytes: i64,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// When a newer version's form replaced it.
    #[schema(required = true)]
    pub superseded_at: Option<DateTime<Utc>>,
    /// Transaction id of the run whose version replaced it.
    #[schema(required = true)]
    pub superseded_by: Option<String>,
    /// Where to download it.
    #[schema(example = "/v1/encounters/enc-1/form.pdf?source=epic")]
    pub url: String,
}

impl EncounterForm {
    /// The form `f` of the encounter `row`: the current form downloads without a
    /// transaction id, a superseded one names its own.
    fn of(row: &EncounterRunRow, f: &EncounterFormInfo) -> Self {
        let current = format!(
            "/v1/encounters/{}/form.pdf?source={}",
            row.encounter_id, row.source
        );
        let url = if f.superseded_at.is_none() {
            current
        } else {
            format!("{current}&transactionId={}", f.transaction_id)
        };
        Self {
            transaction_id: f.transaction_id.clone(),
            run_id: f.run_id,
            version_id: f.version.clone(),
            size_bytes: f.size_bytes,
            created_at: f.created_at,
            superseded_at: f.superseded_at,
            superseded_by: f.superseded_by.clone(),
            url,
        }
    }
}

/// `GET /v1/encounters/{id}`: an encounter's processing state.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EncounterState {
    /// FHIR id of the encounter.
    pub encounter_id: String,
    /// The configured source it came from.
    pub source: String,
    /// The latest run.
    pub run_id: RunId,
    /// The encounter version the latest run was keyed by.
    #[schema(required = true)]
    pub version_id: Option<String>,
    /// The run's status.
    pub status: RunStatus,
    /// Submitted.
    pub submitted_at: DateTime<Utc>,
    /// The run ended.
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    /// The run's error, if it failed.
    #[schema(required = true)]
    pub error: Option<Value>,
    /// The run's steps in order.
    pub steps: Vec<EncounterStep>,
    /// The analysis, once made.
    #[schema(required = true)]
    pub analysis: Option<Analysis>,
    /// The analysis's recommendation, once made.
    #[schema(required = true)]
    pub requires_prior_auth: Option<bool>,
    /// The current form; `null` before it exists and when no prior authorization is
    /// needed.
    #[schema(required = true)]
    pub form: Option<EncounterForm>,
    /// Forms of earlier versions, newest first.
    pub superseded_forms: Vec<EncounterForm>,
}

impl EncounterState {
    /// The state of the encounter `row` from its latest `run` and its `forms`.
    pub fn of(
        row: &EncounterRunRow,
        run: &RunView,
        forms: &[EncounterFormInfo],
    ) -> Result<Self, Unlisted> {
        // The analysis is the `analyze` step's output once it completed; the workflow
        // owns how that output is read.
        let analysis = crate::workflows::encounter::outputs::analysis_of(run);
        Ok(Self {
            encounter_id: row.encounter_id.clone(),
            source: row.source.clone(),
            run_id: row.run_id,
            version_id: row.version.clone(),
            status: run.status,
            submitted_at: row.submitted_at,
            finished_at: run.finished_at,
            error: run.error.clone(),
            steps: run
                .steps
                .iter()
                .map(|s| EncounterStep {
                    name: s.name.clone(),
                    status: s.status,
                    attempts: s.attempts,
                    error: s.error.clone(),
                })
                .collect(),
            requires_prior_auth: analysis.as_ref().map(|a| a.requires_prior_auth),
            analysis,
            form: forms
                .iter()
                .find(|f| f.superseded_at.is_none())
                .map(|f| EncounterForm::of(row, f)),
            superseded_forms: forms
                .iter()
                .filter(|f| f.superseded_at.is_some())
                .map(|f| EncounterForm::of(row, f))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::store::TenantId;

    #[test]
    fn the_current_form_downloads_without_a_transaction_id_and_a_superseded_one_names_its_own() {
        let at = Utc.with_ymd_and_hms(2025, 3, 3, 14, 0, 0).unwrap();
        let run_id: RunId = "0190f000-0000-7000-8000-000000000001".parse().unwrap();
        let row = EncounterRunRow {
            tenant_id: TenantId::parse("t").unwrap(),
            encounter_id: "enc-1".into(),
            source: "epic".into(),
            run_id,
            version: Some("2".into()),
            submitted_at: at,
        };
        let form = |superseded: bool| EncounterFormInfo {
            run_id,
            transaction_id: "tx-1".into(),
            size_bytes: 10,
            created_at: at,
            version: Some("1".into()),
            superseded_at: superseded.then_some(at),
            superseded_by: superseded.then(|| "tx-2".into()),
        };
        assert_eq!(
            EncounterForm::of(&row, &form(false)).url,
            "/v1/encounters/enc-1/form.pdf?source=epic"
        );
        let old = serde_json::to_value(EncounterForm::of(&row, &form(true))).unwrap();
        assert_eq!(
            old["url"],
            "/v1/encounters/enc-1/form.pdf?source=epic&transactionId=tx-1"
        );
        assert_eq!(old["supersededBy"], "tx-2");
        assert_eq!(old["versionId"], "1");
    }
}
