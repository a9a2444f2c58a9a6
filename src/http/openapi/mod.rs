//! The API description (OpenAPI 3.1), generated from the handlers' `#[utoipa::path]`
//! annotations and the types they read and answer.
//!
//! [`description`] builds it; `GET /openapi.json` serves it and `careflow openapi`
//! prints it, so `careflow openapi > openapi.json` refreshes the committed copy (a
//! test fails while the two differ). Answers every route shares (401, 408, 413,
//! 415, 422, 500, 503) are added by [`answers`] from what each operation takes, so no
//! annotation can forget them.

mod answers;
mod areas;
pub mod bodies;
mod care;
pub mod care_requests;
pub mod cron;
mod dashboard;
pub mod discharge;
pub mod encounters;
pub mod event_side;
mod links;
pub mod schedules;
pub mod serve;
pub mod service_calls;
pub mod user_workflows;

use serde_json::Value;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::error::Problem;
use super::{bulk, events, health, rerun, run_list, runs};
use crate::domain::validation::FieldProblem;

/// Operations whose annotations live beside their handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "careflow",
        description = "Durable, multi-step workflow orchestration for clinical operations. \
            All /v1 routes need `Authorization: Bearer <API key or JWT>`; errors are \
            application/problem+json (RFC 9457). Missing or bad credentials answer 401 with \
            `WWW-Authenticate: Bearer`; a JWT whose signing keys cannot be fetched answers \
            503 with `WWW-Authenticate: Bearer` and `Retry-After`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        serve::openapi,
        health::providers,
        health::queue,
        runs::me,
        runs::list_workflows,
        runs::submit,
        runs::pause_workflow,
        runs::resume_workflow,
        run_list::list_runs,
        runs::get_run,
        runs::cancel_run,
        runs::pause_run,
        runs::resume_run,
        runs::retry_run,
        rerun::rerun_run,
        bulk::cancel,
        bulk::retry,
        events::list,
        events::stream,
    ),
    components(schemas(Problem, FieldProblem, bodies::StreamMessage)),
    modifiers(&Security),
    security(("bearer" = [])),
    tags(
        (name = "service", description = "Health, readiness, metrics and this description."),
        (name = "runs", description = "Runs of any workflow: submit, read, list, cancel, retry, pause."),
        (name = "workflows", description = "The registered workflows."),
        (name = "events", description = "The event log: polling and Server-Sent Events."),
        (name = "operations", description = "Queue and provider health for operators."),
    )
)]
struct Annotated;

/// Adds the two ways of authenticating.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A careflow API key (`cfk_...`) or a JWT (HS256, or ES256/RS256 from \
                         the configured JWKS; `exp`, `aud` and, when an issuer is configured, \
                         `iss` are required).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "streamToken",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "A token from POST /v1/stream-tokens; only GET /v1/events/stream accepts it",
            ))),
        );
    }
}

/// Operations documented per area of the API, each area in its own module (an
/// `#[derive(OpenApi)]` listing its paths, schemas and tags: see [`areas`]), so
/// that areas grow without touching one long list.
fn areas() -> Vec<utoipa::openapi::OpenApi> {
    vec![
        areas::service_calls::ServiceCallsApi::openapi(),
        areas::cron::CronApi::openapi(),
        care::Care::openapi(),
        areas::encounters::Encounters::openapi(),
        areas::event_side::EventSide::openapi(),
        dashboard::Dashboard::openapi(),
        areas::schedules::SchedulesApi::openapi(),
        areas::user_workflows::UserWorkflowsApi::openapi(),
        areas::discharge::DischargeApi::openapi(),
    ]
}

/// The API description.
pub fn description() -> Value {
    // Serializing a value built in this module cannot fail; an empty description
    // would be caught by the drift test.
    let mut api = Annotated::openapi();
    for area in areas() {
        api.merge(area);
    }
    let mut doc = serde_json::to_value(api).unwrap_or_default();
    answers::add_shared(&mut doc);
    links::fix_spelling(&mut doc);
    doc
}

/// The description as the committed `openapi.json` holds it: pretty, with a final
/// newline.
pub fn to_pretty_json() -> String {
    let mut text = serde_json::to_string_pretty(&description()).unwrap_or_default();
    text.push('\n');
    text
}
