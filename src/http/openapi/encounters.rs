//! The prior-authorization operations on encounters, and the schemas of the bodies
//! their handlers build as JSON (the API tests validate the answers against them).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use crate::domain::encounter::analysis::{Analysis, Criterion};
use crate::http::encounters;
use crate::store::{RunId, RunStatus, StepStatus};

/// The encounter operations and their schemas.
#[derive(OpenApi)]
#[openapi(
    paths(encounters::submit, encounters::get, encounters::form_pdf),
    components(schemas(EncounterSubmission, EncounterState, EncounterStep, EncounterForm, Analysis, Criterion)),
    tags((name = "encounters", description = "Prior authorization of finished encounters from FHIR sources."))
)]
pub struct Encounters;

/// `POST /v1/encounters`: a finished encounter of a configured FHIR source.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncounterSubmission {
    /// FHIR id of a finished encounter.
    #[schema(pattern = "^[A-Za-z0-9.-]{1,64}$")]
    pub encounter_id: String,
    /// A configured FHIR source of the caller's tenant; optional when the tenant has
    /// exactly one, or when `fhirBaseUrl` names it.
    pub source: Option<String>,
    /// Must equal the base URL of a configured source of the caller's tenant; never
    /// called otherwise.
    #[schema(format = "uri")]
    pub fhir_base_url: Option<String>,
    /// The version pushed (`meta.versionId`); when absent the service reads the
    /// encounter's current version from the source.
    #[schema(min_length = 1, max_length = 128)]
    pub version_id: Option<String>,
}

/// A step of an encounter's run.
#[derive(Serialize, ToSchema)]
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
#[derive(Serialize, ToSchema)]
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

/// `GET /v1/encounters/{id}`: an encounter's processing state.
#[derive(Serialize, ToSchema)]
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
