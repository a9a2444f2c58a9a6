//! The access log at the edge: [`record_read`], a middleware that the routes reading
//! patient-bearing records opt into (`router` lists them), and `GET /v1/audit`.
//!
//! A record holds who (the credential and its tenant), what (method, route template,
//! the ids in the path and the query's `…Id` parameters), when, the request id and
//! the answer's status: never a body, never any other query value. The record is
//! written after the handler answered and before the answer leaves: a failed write
//! is logged and counted, and the answer still goes out.

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::middleware::REQUEST_ID;
use crate::auth::{CredentialKind, Principal};
use crate::domain::casing::api_value;
use crate::domain::validation::Problems;
use crate::store::{AccessRow, NewAccess};

/// Longest id kept from a request; a longer value is cut (ids are far shorter).
const MAX_ID_CHARS: usize = 128;

/// Query parameters that end in `Id` but name no record.
const NOT_RECORD_IDS: &[&str] = &["lastEventId"];

/// The ids a request names: path parameters first, then query parameters called
/// `id` or `…Id`, each kept once under its name.
fn ids_of(path: &[(String, String)], query: Option<&str>) -> Vec<(String, String)> {
    let from_query = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v)| {
            (k == "id" || k.ends_with("Id"))
                && !NOT_RECORD_IDS.contains(&k.as_str())
                && !v.is_empty()
        });
    let mut ids: Vec<(String, String)> = Vec::new();
    for (name, value) in path.iter().cloned().chain(from_query) {
        // The record is written whatever the handler answered (a 422 for this very
        // NUL included), so what the caller sent is made storable rather than lost:
        // PostgreSQL refuses a NUL in text and jsonb.
        let name = crate::storable::string(name);
        if ids.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let value: String = value.chars().take(MAX_ID_CHARS).collect();
        ids.push((name, crate::storable::string(value)));
    }
    ids
}

fn credential_kind(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::ApiKey => "apiKey",
        CredentialKind::Jwt => "jwt",
    }
}

/// Records the read this request made in the access log (see the module docs).
pub async fn record_read(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    let path: Vec<(String, String)> = match RawPathParams::from_request_parts(&mut parts, &()).await
    {
        Ok(params) => params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        Err(_) => Vec::new(),
    };
    let ids = ids_of(&path, parts.uri.query());
    let principal = parts.extensions.get::<Principal>().cloned();
    let request_id = parts
        .headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let method = parts.method.as_str().to_owned();

    let response = next.run(Request::from_parts(parts, body)).await;

    let outcome = match principal {
        Some(principal) => {
            let access = NewAccess {
                tenant_id: principal.tenant,
                at: state.engine.clock().now(),
                credential: principal.subject,
                credential_kind: credential_kind(principal.credential).into(),
                method,
                route: route.clone(),
                resource: ids.first().map(|(_, v)| v.clone()),
                resource_ids: Value::Object(
                    ids.into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect::<Map<_, _>>(),
                ),
                request_id: request_id.clone(),
                status: i32::from(response.status().as_u16()),
            };
            state
                .store
                .append_access(&access)
                .await
                .map_err(|e| e.to_string())
        }
        // Audited routes sit behind authentication; a request without a principal
        // here is a wiring mistake, and worth the same alarm as a failed write.
        None => Err("no authenticated caller".into()),
    };
    if let Err(error) = outcome {
        tracing::error!(
            route = %route,
            request_id = request_id.as_deref().unwrap_or("-"),
            error = %error,
            "access log write failed; the answer is sent unrecorded"
        );
        state.metrics.count(
            "careflow_audit_write_failures_total",
            "Reads answered whose access record could not be written.",
            &[],
            1.0,
        );
    }
    response
}

/// `GET /v1/audit` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    resource: Option<String>,
    after: Option<String>,
    limit: Option<i64>,
}

/// An access record as clients see it: who read what, never the content.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccessLogEntry)]
pub struct AccessView {
    /// Position in the log.
    id: i64,
    /// When.
    at: chrono::DateTime<chrono::Utc>,
    /// The caller's tenant.
    tenant_id: String,
    /// `apikey:<key id>` or the JWT's subject.
    credential: String,
    /// `api_key` or `jwt`.
    #[schema(value_type = CredentialKind)]
    credential_kind: String,
    /// HTTP method.
    method: String,
    /// Route template, e.g. `/v1/runs/{id}`.
    route: String,
    /// The first id the request named.
    #[schema(required = true)]
    resource: Option<String>,
    /// Ids by parameter name: path parameters and `id`/`…Id` query parameters.
    #[schema(value_type = std::collections::HashMap<String, String>)]
    resource_ids: Value,
    /// The request id.
    #[schema(required = true)]
    request_id: Option<String>,
    /// The answer's HTTP status.
    #[schema(minimum = 100, maximum = 599)]
    status: i32,
}

impl From<AccessRow> for AccessView {
    fn from(r: AccessRow) -> Self {
        Self {
            id: r.id,
            at: r.at,
            tenant_id: r.tenant_id.to_string(),
            credential: r.credential,
            // Stored as earlier versions wrote it (`apiKey`).
            credential_kind: api_value(&r.credential_kind),
            method: r.method,
            route: r.route,
            resource: r.resource,
            resource_ids: r.resource_ids.0,
            request_id: r.request_id,
            status: r.status,
        }
    }
}

/// `GET /v1/audit`: a page of the access log, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogPage {
    /// The entries.
    entries: Vec<AccessView>,
    /// `after` of the next page; `null` when this page is empty.
    #[schema(required = true)]
    next_after: Option<String>,
}

/// `GET /v1/audit?resource=&after=&limit=`: the caller's tenant's access records,
/// oldest first, paged by `nextAfter`.
#[utoipa::path(get, path = "/v1/audit", operation_id = "getAudit", tag = "audit",
    params(
        ("resource" = Option<String>, Query, max_length = 128, description = "Only entries whose first id (the path id, else the first `…Id` query value) is this."),
        ("after" = Option<String>, Query, description = "`nextAfter` of the previous page."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Page size, default 100.")),
    responses((status = 200, description = "The caller's tenant's access log, oldest first: one entry per read of a patient-bearing record (runs, events and streams, discharge, care, encounters, schedules, nurses), with credential, route, method, ids, time, request id and status; never the content.", body = AccessLogPage)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AccessLogPage>> {
    let mut problems = Problems::new();
    let after = match q.after.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(p) if p >= 0 => p,
            _ => {
                problems.push(
                    "/query/after",
                    "must be a nextAfter value this API returned",
                );
                0
            }
        },
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        problems.push("/query/limit", "must be between 1 and 1000");
    }
    let resource = q
        .resource
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if resource.is_some_and(|r| r.chars().count() > MAX_ID_CHARS) {
        problems.push("/query/resource", "must be an id of at most 128 characters");
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let rows = state
        .store
        .tenant_access_after(&principal.tenant, resource, after, limit)
        .await?;
    let next = rows.last().map(|r| r.id.to_string());
    let entries: Vec<AccessView> = rows.into_iter().map(AccessView::from).collect();
    Ok(Json(AccessLogPage {
        entries,
        next_after: next,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ids_come_from_the_path_then_the_queries_id_parameters_only() {
        let ids = ids_of(
            &pairs(&[("id", "run-1")]),
            Some(
                "runId=run-2&workflow=discharge&lastEventId=42&q=Jane%20Doe&patientId=p-7&token=secret&id=dup",
            ),
        );
        assert_eq!(
            ids,
            pairs(&[("id", "run-1"), ("runId", "run-2"), ("patientId", "p-7")])
        );
    }

    #[test]
    fn nul_characters_in_names_and_ids_become_replacement_characters() {
        let ids = ids_of(&pairs(&[("id", "a\u{0}b")]), Some("x%00Id=%00"));
        assert_eq!(
            ids,
            pairs(&[("id", "a\u{FFFD}b"), ("x\u{FFFD}Id", "\u{FFFD}")])
        );
    }

    #[test]
    fn long_ids_are_cut() {
        let long = "x".repeat(500);
        let ids = ids_of(&[], Some(&format!("runId={long}")));
        assert_eq!(ids[0].1.len(), MAX_ID_CHARS);
    }
}
