//! The CORS layer from `server.cors_allowed_origins`: the listed origins, or any
//! origin for the lone entry `*` (without credentials, so browsers accept the
//! wildcard answer).

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::ANY_ORIGIN;

/// The layer for `origins` (checked at load; never panics on what slipped through:
/// `*` anywhere in the list means any origin, unusable entries are left out).
pub(super) fn layer(origins: &[String], request_id: &HeaderName) -> CorsLayer {
    let allow = if origins.iter().any(|o| o.trim() == ANY_ORIGIN) {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim()).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("last-event-id"),
            request_id.clone(),
        ])
        .expose_headers([request_id.clone(), header::LOCATION, header::RETRY_AFTER])
}
