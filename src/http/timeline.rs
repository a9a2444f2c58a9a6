//! `GET /v1/runs/{id}/timeline`: each step's attempts, retry waits and parked time,
//! for waterfall charts. The spans come from the run's own events.

use std::collections::HashMap;

use axum::extract::State;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path};
use crate::auth::Principal;
use crate::engine::timeline::{self, Timeline};
use crate::store::{EventFilter, RunId};

/// Events read per page.
const PAGE: i64 = 1000;
/// Most events read for one timeline; a run with more draws from the first ones
/// (and its step rows) rather than reading without bound.
const MAX_EVENTS: usize = 20_000;

/// `GET /v1/runs/{id}/timeline`.
#[utoipa::path(get, path = "/v1/runs/{id}/timeline", operation_id = "getRunsIdTimeline", tag = "runs",
    params(("id" = String, Path, description = "The run's id (a UUID; any other text is an unknown run).")),
    responses((status = 200, description = "Each step's time as spans (attempts, retry waits, parked and deferred time), from the run's events, for waterfall charts.", body = Timeline)))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Timeline>> {
    let run: RunId = id.parse().map_err(|_| ApiError::NotFound("run"))?;
    let view = state
        .engine
        .get(&principal.tenant, run)
        .await?
        .ok_or(ApiError::NotFound("run"))?;
    let depends_on: HashMap<String, Vec<String>> = state
        .engine
        .definition(
            &principal.tenant,
            &view.workflow,
            Some(view.workflow_version),
        )
        .await?
        .map(|def| {
            def.steps
                .iter()
                .map(|s| {
                    let deps = s.deps.iter().map(|&d| def.steps[d].name.clone());
                    (s.name.clone(), deps.collect())
                })
                .collect()
        })
        .unwrap_or_default();
    let filter = EventFilter {
        run_id: Some(run),
        ..EventFilter::default()
    };
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = state
            .store
            .tenant_events_after(&principal.tenant, after, &filter, PAGE)
            .await?;
        let full = page.len() as i64 == PAGE;
        after = page.last().map(|e| e.position).unwrap_or(after);
        events.extend(page);
        if !full || events.len() >= MAX_EVENTS {
            break;
        }
    }
    Ok(Json(timeline::build(&view, &depends_on, &events)))
}
