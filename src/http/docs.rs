//! `/docs`: interactive API documentation (Swagger UI) for the description at
//! `/openapi.json`.
//!
//! The Swagger UI assets are compiled into the binary (nothing is fetched from a
//! CDN, at build time or in the browser), so the page works in air-gapped
//! deployments and under a Content-Security-Policy that allows this origin only.

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The docs page's Content-Security-Policy: like the dashboard's, except that
/// Swagger UI sets inline styles on its elements.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// Routes `/docs` (a redirect to `/docs/`) and the Swagger UI files under it.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    // `Config::new` only points the page at the served description; the
    // description itself stays the one `GET /openapi.json` generates.
    let ui = SwaggerUi::new("/docs").config(Config::new(["/openapi.json"]));
    Router::from(ui).layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    ))
}
