//! Erasure on request: `DELETE /v1/runs/{id}` (one finished run and what hangs off
//! it), `POST /v1/purges` (everything about a correlation id or a patient) and
//! `GET /v1/purges` (the record of erasures).
//!
//! Each erasure is recorded, in the same transaction, as a purge: who asked (the
//! credential), when, what kind of selector and a hash of its value (never the value:
//! the record must not keep what was erased) and how many records of each kind went.
//! The routes are also in the access log. What an erasure removes is the store's
//! business (`store::RetentionStore`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::purge_view::{Purge, PurgePage};
use crate::auth::{CredentialKind, Principal};
use crate::domain::validation::Problems;
use crate::store::{
    EraseRun, NewPurge, PurgeOutcome, PurgeSelector, Refusal, RefusedRun, RunId, TenantId,
};

/// Longest page of `GET /v1/purges`.
const MAX_PAGE: i64 = 200;

/// Longest correlation id or patient reference (as long as a correlation id may be).
const MAX_SELECTOR_CHARS: usize = 200;

/// `DELETE /v1/runs/{id}`: erases one finished run of the caller's tenant with its
/// steps, events and the records only it made. 204; 404 when the tenant has no such
/// run; 409 when it is not finished (cancel it first) or another unfinished run still
/// works on its records.
#[utoipa::path(delete, path = "/v1/runs/{id}", operation_id = "deleteRunsId", tag = "runs",
    params(("id" = String, Path, description = "The run's id (a UUID; any other text is an unknown run).")),
    responses(
        (status = 204, description = "Erased: the run with its steps (outputs, attempts), events and the records only it made (a discharge case with its summaries, emails and calls; prior-authorization forms; the service call). Recorded as a purge (kind `run`) and in the access log."),
        (status = 409, description = "The run is not finished (cancel it first), or another unfinished run still works on its records.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn delete_run(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let run: RunId = id.parse().map_err(|_| ApiError::NotFound("run"))?;
    let record = new_purge(&state, &principal, "run", &id);
    match state.store.erase_run(run, &record).await? {
        None => Err(ApiError::NotFound("run")),
        Some(EraseRun::Refused(refusal)) => Err(ApiError::Conflict(refusal_detail(&refusal))),
        Some(EraseRun::Erased(row)) => {
            tracing::info!(run.id = %run, purge.id = %row.purge_id, "run erased on request");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

/// `POST /v1/purges`: `{"correlationId": …}` or `{"patientReference": …}`. Erases the
/// tenant's finished runs so selected and, for a patient, the care records about
/// them, then answers `201` with the purge record. When a selected run is not
/// finished, `409` names it and nothing is erased.
#[utoipa::path(post, path = "/v1/purges", operation_id = "postPurges", tag = "purges",
    request_body = super::openapi::event_side::PurgeRequest,
    responses(
        (status = 201, description = "Erased and recorded. A correlation id erases its runs and the events carrying it; a patient, the runs whose trigger event or step output names the patient as `patientId`, events naming it, and the care records (tasks, notifications, outreach plans and attempts, interactions, reply candidates). Only finished runs are erased.", body = Purge),
        (status = 409, description = "Selected runs are not finished (listed in `detail`); nothing was erased.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let (selector, kind, value) = parse_selector(&body).map_err(ApiError::Validation)?;
    let record = new_purge(&state, &principal, kind, &value);
    match state.store.purge(&selector, &record).await? {
        PurgeOutcome::Refused(runs) => Err(ApiError::Conflict(refused_detail(&runs))),
        PurgeOutcome::Done(row) => {
            tracing::info!(
                purge.id = %row.purge_id,
                purge.selector = kind,
                runs = row.erased.0.get("runs").and_then(serde_json::Value::as_u64).unwrap_or(0),
                "purge done"
            );
            Ok((StatusCode::CREATED, axum::Json(Purge::of(&row)?)).into_response())
        }
    }
}

/// Query of `GET /v1/purges`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /v1/purges?limit=&cursor=`: the tenant's purges, newest first, paged.
#[utoipa::path(get, path = "/v1/purges", operation_id = "getPurges", tag = "purges",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Page size, default 50."),
        ("cursor" = Option<uuid::Uuid>, Query, description = "`nextCursor` of the previous page.")),
    responses((status = 200, description = "The caller's tenant's purges, newest first.", body = PurgePage)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PurgePage>> {
    let mut problems = Problems::new();
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        problems.push("/query/limit", format!("must be between 1 and {MAX_PAGE}"));
    }
    let before = match q.cursor.as_deref().map(uuid::Uuid::parse_str) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => {
            problems.push("/query/cursor", "is not a cursor this API returned");
            None
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let rows = state
        .store
        .list_purges(&principal.tenant, before, limit)
        .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.purge_id))
        .flatten();
    Ok(axum::Json(PurgePage {
        purges: rows.iter().map(Purge::of).collect::<Result<_, _>>()?,
        next_cursor: next,
    }))
}

/// Reads the body of `POST /v1/purges`, listing every problem.
fn parse_selector(body: &Value) -> Result<(PurgeSelector, &'static str, String), Problems> {
    let mut problems = Problems::new();
    let Some(fields) = body.as_object() else {
        problems.push("", "must be a JSON object");
        return Err(problems);
    };
    for key in fields.keys() {
        if key != "correlationId" && key != "patientReference" {
            problems.push(
                format!("/{key}"),
                "is not a field of a purge (correlationId or patientReference)",
            );
        }
    }
    // A selector given as `null` is left out, as the description shows it nullable.
    let given = |key: &str| fields.get(key).filter(|v| !v.is_null());
    let mut text = |key: &str| -> Option<String> {
        match given(key)? {
            Value::String(s) if !s.trim().is_empty() && s.chars().count() <= MAX_SELECTOR_CHARS => {
                Some(s.clone())
            }
            _ => {
                problems.push(
                    format!("/{key}"),
                    format!("must be a string of 1-{MAX_SELECTOR_CHARS} characters"),
                );
                None
            }
        }
    };
    let correlation = text("correlationId");
    let patient = text("patientReference");
    let present = ["correlationId", "patientReference"]
        .iter()
        .filter(|k| given(k).is_some())
        .count();
    if present != 1 {
        problems.push(
            "",
            "must name exactly one of correlationId or patientReference",
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    match (correlation, patient) {
        (Some(c), None) => Ok((PurgeSelector::CorrelationId(c.clone()), "correlationId", c)),
        (None, Some(p)) => Ok((
            PurgeSelector::PatientReference(p.clone()),
            "patientReference",
            p,
        )),
        _ => {
            problems.push(
                "",
                "must name exactly one of correlationId or patientReference",
            );
            Err(problems)
        }
    }
}

/// The record of an erasure asked by `principal`.
fn new_purge(state: &AppState, principal: &Principal, kind: &str, value: &str) -> NewPurge {
    NewPurge {
        tenant_id: principal.tenant.clone(),
        purge_id: uuid::Uuid::now_v7(),
        at: state.engine.clock().now(),
        credential: principal.subject.clone(),
        credential_kind: match principal.credential {
            CredentialKind::ApiKey => "apiKey",
            CredentialKind::Jwt => "jwt",
        }
        .into(),
        selector_kind: kind.into(),
        selector_hash: selector_hash(&principal.tenant, kind, value),
    }
}

/// `sha256:` and the hex SHA-256 of `tenant`, `kind` and `value`, each followed by a
/// line feed: who holds the value can check that it was purged, and the record alone
/// does not say what it was.
pub fn selector_hash(tenant: &TenantId, kind: &str, value: &str) -> String {
    let mut h = Sha256::new();
    for part in [tenant.as_str(), kind, value] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

fn refusal_detail(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Unfinished(status) => {
            format!("The run is {status}: cancel it, or let it finish, before erasing it.")
        }
        Refusal::InUse(other) => format!(
            "Run {other} still works on this run's records: let it finish, or cancel it, \
             before erasing this run."
        ),
    }
}

fn refused_detail(runs: &[RefusedRun]) -> String {
    let listed: Vec<String> = runs
        .iter()
        .map(|r| match &r.refusal {
            Refusal::Unfinished(status) => format!("{} ({status})", r.run_id),
            Refusal::InUse(other) => {
                format!("{} (its records are in use by run {other})", r.run_id)
            }
        })
        .collect();
    format!(
        "Nothing was erased: {} selected run(s) must finish or be cancelled first: {}.",
        runs.len(),
        listed.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problems_of(body: Value) -> Vec<String> {
        match parse_selector(&body) {
            Ok(_) => Vec::new(),
            Err(p) => p.into_vec().into_iter().map(|f| f.pointer).collect(),
        }
    }

    #[test]
    fn a_purge_names_exactly_one_selector_and_every_problem_is_listed() {
        let cases = [
            (json!({"correlationId": "c-1"}), vec![]),
            (json!({"patientReference": "p-1"}), vec![]),
            (json!({}), vec![""]),
            (
                json!({"correlationId": "c", "patientReference": "p"}),
                vec![""],
            ),
            (
                json!({"patientReference": "", "x": 1}),
                vec!["/x", "/patientReference"],
            ),
            (json!({"correlationId": 7}), vec!["/correlationId"]),
            (json!([1]), vec![""]),
        ];
        for (body, want) in cases {
            assert_eq!(problems_of(body.clone()), want, "body {body}");
        }
    }

    #[test]
    fn the_selector_hash_depends_on_tenant_kind_and_value_and_hides_the_value() {
        let a = TenantId::parse("a").unwrap();
        let b = TenantId::parse("b").unwrap();
        let h = selector_hash(&a, "patientReference", "p-1");
        assert!(h.starts_with("sha256:") && !h.contains("p-1"));
        assert_eq!(h, selector_hash(&a, "patientReference", "p-1"));
        assert_ne!(h, selector_hash(&b, "patientReference", "p-1"));
        assert_ne!(h, selector_hash(&a, "correlationId", "p-1"));
    }
}
