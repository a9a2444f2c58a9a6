//! `GET /openapi.json`: the handler serving the description this module builds.
//! It lives here, below the description, so that the description can list it
//! without the handler and the list importing each other.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// `GET /openapi.json`: this description, generated at start-up.
#[utoipa::path(get, path = "/openapi.json", operation_id = "openapi", tag = "service", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description of this API.", content_type = "application/json", body = Object)))]
pub async fn openapi() -> Response {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = TEXT.get_or_init(super::to_pretty_json).clone();
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
