//! Extractors whose rejections are problem+json: JSON bodies, query strings, paths,
//! and the authenticated principal.
//!
//! Every request-shape problem is a `422` listing each offending value by its
//! pointer (`/name`, `/query/limit`, `/path/id`): malformed JSON, a missing member,
//! a value of the wrong type, and text no store can keep ([`storable`]). A body of
//! another content type than JSON is a `415`. Handlers never see such a request, so
//! none of them needs its own check.

mod shape;
pub mod storable;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;
use crate::auth::Principal;
use crate::domain::validation::Problems;

/// A JSON request body with problem+json rejections (see the module's rules).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(not_json());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(unread)?;
        parse_body(&bytes).map(Json)
    }
}

/// A request body that may be left out: empty (or only whitespace) or a JSON
/// `null` is `None`, else the same rules as [`Json`]. A body sent without a content
/// type is read as JSON.
///
/// `null` counts as no body because the description of an optional body allows it
/// (`oneOf: [null, ...]`), and clients that serialize an absent value send it.
#[derive(Debug, Clone, Default)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let typed = req.headers().contains_key(header::CONTENT_TYPE);
        if typed && !is_json(req.headers()) {
            return Err(not_json());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(unread)?;
        if bytes.iter().all(u8::is_ascii_whitespace) || bytes.trim_ascii() == b"null" {
            return Ok(OptionalJson(None));
        }
        parse_body(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

/// `application/json` or any `application/*+json`, parameters aside.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn not_json() -> ApiError {
    ApiError::UnsupportedMediaType(
        "Send the body as JSON with `Content-Type: application/json`.".into(),
    )
}

/// A body that could not be read: over the limit, or cut off by the client.
fn unread(r: BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge("The request body is larger than the configured limit.".into())
    } else {
        let mut p = Problems::new();
        p.push("", "could not be read completely");
        ApiError::Validation(p)
    }
}

/// A JSON body: parsed, checked for unstorable text, then shaped into `T`, each
/// stage answering every problem it finds as a `422`.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut problems = Problems::new();
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            // serde_json's syntax messages give a position, never the text.
            problems.push("", format!("is not valid JSON: {e}"));
            return Err(ApiError::Validation(problems));
        }
    };
    storable::check_json(&value, "", &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        shape::problem("", e.path(), &e.inner().to_string(), &mut problems);
        ApiError::Validation(problems)
    })
}

/// A query string with problem+json rejections (see the module's rules).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("").as_bytes();
        let mut problems = Problems::new();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw).into_owned().collect();
        storable::check_pairs(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            "/query",
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(raw));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                shape::problem("/query", e.path(), &e.inner().to_string(), &mut problems);
                ApiError::Validation(problems)
            })
    }
}

/// Path parameters with problem+json rejections (see the module's rules).
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut problems = Problems::new();
        match RawPathParams::from_request_parts(parts, state).await {
            Ok(raw) => storable::check_pairs(raw.iter(), "/path", &mut problems),
            Err(_) => return Err(path_problem(&mut problems)),
        }
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|r| match r {
                PathRejection::FailedToDeserializePathParams(e) => {
                    let key = path_key(e.kind());
                    problems.push(
                        format!("/path/{}", storable::token(key.unwrap_or(""))),
                        "is not a valid value here",
                    );
                    ApiError::Validation(problems)
                }
                other => ApiError::Internal(Box::new(other)),
            })
    }
}

/// Invalid UTF-8 after percent-decoding is the only way raw parameters fail on a
/// matched route.
fn path_problem(problems: &mut Problems) -> ApiError {
    problems.push("/path", "must be valid UTF-8 once percent-decoded");
    ApiError::Validation(std::mem::take(problems))
}

/// The parameter a path deserialization error names, when it names one.
fn path_key(kind: &axum::extract::path::ErrorKind) -> Option<&str> {
    use axum::extract::path::ErrorKind;
    match kind {
        ErrorKind::ParseErrorAtKey { key, .. }
        | ErrorKind::InvalidUtf8InPathParam { key }
        | ErrorKind::DeserializeError { key, .. } => Some(key),
        _ => None,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("missing bearer token".into()))
    }
}
