//! The encounters area's operations, schemas and tags: apart from the
//! types (`openapi::encounters`), so that handlers naming those types and this list
//! naming the handlers do not import each other.

use utoipa::OpenApi;

use crate::domain::encounter::analysis::{Analysis, Criterion};
use crate::http::encounter_view::{EncounterForm, EncounterState, EncounterStep};
use crate::http::encounters;
use crate::http::openapi::encounters::EncounterSubmission;

/// The encounter operations and their schemas.
#[derive(OpenApi)]
#[openapi(
    paths(encounters::submit, encounters::get, encounters::form_pdf),
    components(schemas(EncounterSubmission, EncounterState, EncounterStep, EncounterForm, Analysis, Criterion)),
    tags((name = "encounters", description = "Prior authorization of finished encounters from FHIR sources."))
)]
pub struct Encounters;
