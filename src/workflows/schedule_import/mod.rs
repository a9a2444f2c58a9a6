//! The `schedule-import` workflow: a hospital's uploaded ODS schedule becomes a draft
//! schedule version (`odsImport`, critical), roster assignments are fetched from Amion
//! and matched to its shifts (`amionScrape`), and coverage is computed
//! (`coverageCalculation`). Each phase writes its rows in one store transaction, so a
//! failing phase leaves none behind.
//!
//! The engine skips the dependents of a failed step, but the roster phase must not
//! keep coverage from running: so `amionScrape` turns its own final failure into a
//! warning and completes (its output says `"outcome": "failed"`), while it still lets
//! the engine retry failures a retry can fix. The phases also keep the hospital's
//! import status: phase 1 takes the hospital's import slot for its run and sets
//! `FAILED` when it cannot create a version, phase 3 sets `COMPLETED` at its end,
//! whether or not coverage could be stored; a retry takes the slot back first.

mod amion_scrape;
mod coverage_step;
mod guard;
pub mod lifecycle;
mod messages;
mod ods_import;
pub mod outputs;
pub mod result;
mod submit;

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub use submit::{NewImport, StartImportError, StartedImport, start_import};

use super::Services;
use crate::config::SchedulesSettings;
use crate::engine::{
    DefinitionError, RetryPolicy, StepContext, StepError, StepPolicy, WorkflowDefinition,
};
use crate::store::ImportState;

/// `schedules.default_time_zone` read as a time zone (that of a hospital created
/// without one); the error names the key, and start-up stops on it.
pub fn default_zone(settings: &SchedulesSettings) -> Result<chrono_tz::Tz, String> {
    crate::domain::schedule::zone::parse_zone(&settings.default_time_zone).ok_or_else(|| {
        "schedules.default_time_zone: must be an IANA time zone name such as America/New_York"
            .to_string()
    })
}

/// The workflow's name.
pub const WORKFLOW: &str = "schedule-import";
/// Phase 1: read the spreadsheet, create the draft version.
pub const ODS_IMPORT: &str = "odsImport";
/// Phase 2: fetch and match roster assignments.
pub const AMION_SCRAPE: &str = "amionScrape";
/// Phase 3: compute and store coverage.
pub const COVERAGE: &str = "coverageCalculation";
/// Phases 2 and 3 again for an existing version (`POST
/// /v1/schedules/versions/{id}/assignments/refresh`).
pub const REFRESH_WORKFLOW: &str = "schedule-assignments-refresh";

/// The input of a `schedule-import` run. It names the stored upload; the file's bytes
/// and the Amion access code never travel in a run's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportInput {
    /// The stored upload (also the import's id).
    pub upload_id: Uuid,
    /// The hospital; must be the upload's.
    pub hospital_id: Uuid,
    /// Rows before this day are left out.
    #[serde(default)]
    pub period_start: Option<NaiveDate>,
    /// Rows after this day are left out.
    #[serde(default)]
    pub period_end: Option<NaiveDate>,
    /// The existing version a refresh works on (phases 2 and 3 only); `None` for an
    /// import, whose first phase creates the version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<Uuid>,
}

impl ImportInput {
    fn of(ctx: &StepContext) -> Result<Self, StepError> {
        serde_json::from_value(Value::clone(&ctx.input))
            .map_err(|e| StepError::permanent(format!("the run's input is not an import: {e}")))
    }
}

/// What every phase's handler shares.
struct Phase {
    services: Services,
    /// Attempts the phases' retry policy allows, so a handler knows its last one.
    max_attempts: u32,
}

impl Phase {
    /// True when no further attempt will follow this failure.
    fn is_last(&self, error: &StepError, ctx: &StepContext) -> bool {
        !error.is_retryable() || ctx.attempt >= self.max_attempts
    }

    /// Ends the hospital's import with `state`, if this run's import still holds it.
    /// A cancelled run leaves it to the status read, which says `CANCELLED`.
    async fn finish(&self, ctx: &StepContext, input: &ImportInput, state: ImportState) {
        // A refresh is no import: the hospital's import status is not its to set.
        if ctx.cancel.is_cancelled() || input.version_id.is_some() {
            return;
        }
        let store = self.services.store.as_ref();
        let done = store
            .finish_import(
                &ctx.tenant,
                input.hospital_id,
                input.upload_id,
                state,
                ctx.now(),
            )
            .await;
        match done {
            Ok(true) => tracing::info!(
                run.id = %ctx.run_id,
                import.id = %input.upload_id,
                status = state.as_str(),
                "import status set"
            ),
            Ok(false) => {}
            // The status read reconciles it from the run's outcome later.
            Err(e) => tracing::warn!(
                run.id = %ctx.run_id,
                error = %e,
                "could not set the import status"
            ),
        }
    }
}

/// The version the phases work on: a refresh's input names it; an import's first
/// phase created it (its output names it).
fn version_of(ctx: &StepContext) -> Result<Uuid, StepError> {
    if let Some(id) = ImportInput::of(ctx)?.version_id {
        return Ok(id);
    }
    Ok(ctx.dep_as::<outputs::Imported>(ODS_IMPORT)?.version_id)
}

/// The `schedule-import` definition.
pub fn definitions(services: &Services) -> Result<Vec<WorkflowDefinition>, DefinitionError> {
    let retry = RetryPolicy::from_settings(&services.settings.engine.retry);
    let phase = Arc::new(Phase {
        services: services.clone(),
        max_attempts: retry.max_attempts,
    });
    let policy = StepPolicy::new().retry(retry);
    let (p1, p2, p3) = (phase.clone(), phase.clone(), phase.clone());
    let guard = guard::OneImportPerHospital {
        store: services.store.clone(),
        stale_after: services.settings.server.request_timeout,
        clock: services.clock.clone(),
    };
    let def = WorkflowDefinition::builder(WORKFLOW, 1)
        .restart_guard(Arc::new(guard))
        .step(ODS_IMPORT, &[], policy.clone().critical(), move |ctx| {
            ods_import::run(p1.clone(), ctx)
        })
        .step(AMION_SCRAPE, &[ODS_IMPORT], policy.clone(), move |ctx| {
            amion_scrape::run(p2.clone(), ctx)
        })
        .step(
            COVERAGE,
            &[ODS_IMPORT, AMION_SCRAPE],
            policy.clone(),
            move |ctx| coverage_step::run(p3.clone(), ctx),
        )
        .build()?;
    let (p2, p3) = (phase.clone(), phase);
    let refresh = WorkflowDefinition::builder(REFRESH_WORKFLOW, 1)
        .step(AMION_SCRAPE, &[], policy.clone(), move |ctx| {
            amion_scrape::run(p2.clone(), ctx)
        })
        .step(COVERAGE, &[AMION_SCRAPE], policy, move |ctx| {
            coverage_step::run(p3.clone(), ctx)
        })
        .build()?;
    Ok(vec![def, refresh])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Settings;
    use crate::engine::SystemClock;
    use crate::store::sqlite::SqliteStore;

    #[test]
    fn the_default_zone_is_utc_and_a_name_that_is_no_zone_names_the_setting() {
        let mut s = Settings::defaults().schedules;
        assert_eq!(default_zone(&s).unwrap(), chrono_tz::UTC);
        s.default_time_zone = "Mars/Olympus".into();
        let err = default_zone(&s).unwrap_err();
        assert!(err.starts_with("schedules.default_time_zone:"), "{err}");
    }

    #[tokio::test]
    async fn the_definition_has_a_critical_import_then_roster_then_coverage() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::defaults();
        let store = SqliteStore::open(&dir.path().join("t.db"), &settings.database)
            .await
            .unwrap();
        let services =
            Services::build(Arc::new(store), Arc::new(settings), Arc::new(SystemClock)).unwrap();
        let defs = definitions(&services).unwrap();
        assert_eq!(defs[1].name, REFRESH_WORKFLOW);
        let def = &defs[0];
        assert_eq!(def.name, WORKFLOW);
        let shape: Vec<(&str, Vec<&str>, bool)> = def
            .steps
            .iter()
            .map(|s| {
                let deps = s.deps.iter().map(|&d| def.steps[d].name.as_str()).collect();
                (s.name.as_str(), deps, s.policy.critical)
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (ODS_IMPORT, vec![], true),
                (AMION_SCRAPE, vec![ODS_IMPORT], false),
                (COVERAGE, vec![ODS_IMPORT, AMION_SCRAPE], false),
            ]
        );
    }

    #[test]
    fn an_input_with_the_bytes_or_a_login_in_it_is_refused() {
        let with_login = serde_json::json!({
            "uploadId": Uuid::nil(), "hospitalId": Uuid::nil(), "amionLogin": "x"
        });
        assert!(serde_json::from_value::<ImportInput>(with_login).is_err());
        let plain = serde_json::json!({"uploadId": Uuid::nil(), "hospitalId": Uuid::nil()});
        let input: ImportInput = serde_json::from_value(plain).unwrap();
        assert_eq!((input.period_start, input.period_end), (None, None));
    }
}
