//! `POST /v1/stream-tokens` and the authentication of `GET /v1/events/stream`, which
//! accepts either a bearer header or `?token=` (browsers' `EventSource` cannot send
//! headers).
//!
//! The token is issued to an authenticated caller for its own tenant and the filters
//! it asks for; the stream opened with it keeps those filters (see
//! [`crate::auth::stream_token`] for the format and the key every replica shares).

use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::OptionalJson;
use super::middleware::authenticate;
use crate::auth::Principal;
use crate::auth::stream_token::{StreamFilters, StreamGrant};
use crate::domain::validation::Problems;
use crate::store::RunId;

/// Longest accepted filter value.
const MAX_FILTER_LEN: usize = 200;

/// Reads the optional body `{runId?, correlationId?, workflow?, eventType?}`.
fn filters_of(body: Option<&Value>) -> Result<StreamFilters, Problems> {
    let mut problems = Problems::new();
    let mut filters = StreamFilters::default();
    let Some(body) = body.filter(|b| !b.is_null()) else {
        return Ok(filters);
    };
    let Some(obj) = body.as_object() else {
        problems.push("", "must be a JSON object");
        return Err(problems);
    };
    for (field, value) in obj {
        let pointer = format!("/{field}");
        let text = match value {
            Value::Null => continue,
            Value::String(s) if !s.is_empty() && s.len() <= MAX_FILTER_LEN => s.clone(),
            _ => {
                problems.push(
                    pointer,
                    format!("must be a string of 1-{MAX_FILTER_LEN} characters"),
                );
                continue;
            }
        };
        match field.as_str() {
            "runId" => match text.parse::<RunId>() {
                Ok(id) => filters.run_id = Some(id),
                Err(_) => problems.push(pointer, "must be a run id"),
            },
            "correlationId" => filters.correlation_id = Some(text),
            "workflow" => filters.workflow = Some(text),
            "eventType" => filters.event_type = Some(text),
            _ => problems.push(
                pointer,
                "is not a filter (runId, correlationId, workflow, eventType)",
            ),
        }
    }
    problems.into_result(filters)
}

/// `201` of `POST /v1/stream-tokens`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamToken {
    /// `cfs_...`, signed; opens streams until `expiresAt`.
    pub token: String,
    /// When it stops opening streams (`events.stream_token_ttl` from now).
    pub expires_at: DateTime<Utc>,
    /// The filters streams opened with it are confined to.
    pub filters: StreamFilters,
    /// `/v1/events/stream?token=...`.
    pub stream_url: String,
}

/// `POST /v1/stream-tokens`: `201` with `{token, expiresAt, filters, streamUrl}`.
#[utoipa::path(post, path = "/v1/stream-tokens", operation_id = "postStreamTokens", tag = "stream-tokens",
    request_body(content = Option<crate::auth::stream_token::StreamFilters>, description = "Optional filters the streams opened with the token are confined to; an empty body means none."),
    responses((status = 201, description = "A short-lived signed token (`events.stream_token_ttl`, default 60 s) that opens `GET /v1/events/stream?token=` without a header, for browsers' EventSource; bound to the caller's tenant and the filters; any replica accepts it.", body = StreamToken)))]
pub async fn issue(
    State(state): State<AppState>,
    principal: Principal,
    // The body is optional: empty means no filter.
    OptionalJson(body): OptionalJson<Value>,
) -> ApiResult<Response> {
    let filters = filters_of(body.as_ref()).map_err(ApiError::Validation)?;
    let ttl = chrono::Duration::from_std(state.settings.events.stream_token_ttl)
        .unwrap_or_else(|_| chrono::Duration::seconds(60));
    let expires_at = state.engine.clock().now() + ttl;
    let token = state.stream_tokens.issue(&principal, &filters, expires_at);
    let stream_url = format!("/v1/events/stream?token={token}");
    let body = StreamToken {
        token,
        expires_at,
        filters,
        stream_url,
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// The `token` query parameter, if any. Tokens are URL-safe, so no decoding is
/// needed beyond finding the pair.
fn query_token(req: &Request) -> Option<&str> {
    req.uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .filter(|t| !t.is_empty())
}

/// Authenticates the event stream: a bearer header as everywhere else, or else a
/// stream token in the query, whose grant goes in the request's extensions.
pub async fn authenticate_stream(state: State<AppState>, mut req: Request, next: Next) -> Response {
    if req.headers().contains_key(header::AUTHORIZATION) {
        return authenticate(state, req, next).await;
    }
    let Some(token) = query_token(&req) else {
        return authenticate(state, req, next).await;
    };
    match state
        .stream_tokens
        .verify(token, state.engine.clock().now())
    {
        Ok(grant) => {
            tracing::Span::current().record("tenant", grant.principal.tenant.as_str());
            req.extensions_mut().insert(grant.principal.clone());
            req.extensions_mut().insert(grant);
            next.run(req).await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The stream's filters: the query's, within what a token granted. A query value
/// that differs from the token's is a problem; the token's values always apply.
pub fn confine(
    grant: Option<&Extension<StreamGrant>>,
    mut filter: crate::store::EventFilter,
    problems: &mut Problems,
) -> crate::store::EventFilter {
    let Some(Extension(grant)) = grant else {
        return filter;
    };
    let g = &grant.filters;
    fn keep<T: PartialEq + Clone>(
        granted: &Option<T>,
        asked: &mut Option<T>,
        pointer: &str,
        problems: &mut Problems,
    ) {
        if let Some(v) = granted {
            if asked.as_ref().is_some_and(|a| a != v) {
                problems.push(pointer, "differs from the stream token's filter");
            }
            *asked = Some(v.clone());
        }
    }
    keep(&g.run_id, &mut filter.run_id, "/query/runId", problems);
    keep(
        &g.correlation_id,
        &mut filter.correlation_id,
        "/query/correlationId",
        problems,
    );
    keep(
        &g.workflow,
        &mut filter.workflow,
        "/query/workflow",
        problems,
    );
    keep(
        &g.event_type,
        &mut filter.event_type,
        "/query/eventType",
        problems,
    );
    filter
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_bad_filter_is_listed() {
        let body = json!({"runId": "nope", "workflow": 3, "colour": "red", "eventType": ""});
        let problems = filters_of(Some(&body)).unwrap_err();
        let mut pointers: Vec<&str> = problems
            .as_slice()
            .iter()
            .map(|p| p.pointer.as_str())
            .collect();
        pointers.sort();
        assert_eq!(
            pointers,
            ["/colour", "/eventType", "/runId", "/workflow"],
            "{problems:?}"
        );
    }

    #[test]
    fn no_body_means_no_filter() {
        assert_eq!(filters_of(None).unwrap(), StreamFilters::default());
        assert_eq!(
            filters_of(Some(&Value::Null)).unwrap(),
            StreamFilters::default()
        );
    }
}
