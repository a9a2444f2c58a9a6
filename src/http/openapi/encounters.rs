//! The prior-authorization operations on encounters, and the schema of the
//! submission, which the handler reads as JSON member by member. The answer's
//! schemas are the handler's own types (`http::encounter_view`).

use serde::Serialize;
use utoipa::ToSchema;

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
