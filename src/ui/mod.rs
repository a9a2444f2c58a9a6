//! The web dashboard: static assets compiled into the binary and served under `/ui`.
//!
//! The dashboard is plain JavaScript modules and CSS written for careflow (no build
//! step, no third-party script). It reads and changes everything through the JSON
//! API with the bearer credential the user signs in with, kept in the tab's
//! `sessionStorage`; this module only serves files and knows nothing of the API.
//!
//! Assets live under `/ui/assets/<version>/`, where the version is a hash of every
//! asset's content: a release that changes any file changes every URL, so assets are
//! cached for a year as immutable, while the page itself is revalidated each time.
//! A strict Content-Security-Policy allows scripts, styles and connections to this
//! origin only, and no inline code.

mod assets;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

pub use assets::{ASSETS, Asset, version};

/// The dashboard's Content-Security-Policy. `blob:` frames and objects show the
/// prior-authorization PDF fetched with the bearer token.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; frame-src blob:; object-src blob:; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Routes `/` (a redirect), `/ui` and the assets.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(root))
        .route("/ui", get(index))
        .route("/ui/", get(index))
        .route("/ui/assets/{version}/{*file}", get(asset))
}

/// Headers every dashboard answer carries.
fn secure(mut response: Response, cache: &'static str) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `GET /`: sends browsers to the dashboard.
#[utoipa::path(get, path = "/", operation_id = "get", tag = "service", security(()),
    responses((status = 303, description = "To the dashboard.",
        headers(("Location" = String, description = "`/ui`")))))]
pub(crate) async fn root() -> Redirect {
    Redirect::to("/ui")
}

/// `GET /ui`: the page, pointing at this build's assets.
#[utoipa::path(get, path = "/ui", operation_id = "getUi", tag = "ui", security(()),
    responses((status = 200, description = "The web dashboard; its scripts call this API with the credential the user signs in with.",
        content_type = "text/html", body = String)))]
pub(crate) async fn index() -> Response {
    let html = assets::index_html();
    let response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html.to_owned(),
    )
        .into_response();
    // Revalidated on every load, so a new release's asset URLs are seen at once.
    secure(response, "no-cache")
}

/// `GET /ui/assets/{version}/{file}`.
async fn asset(Path((v, file)): Path<(String, String)>) -> Response {
    let Some(asset) = assets::find(&file) else {
        let response = (StatusCode::NOT_FOUND, "no such asset").into_response();
        return secure(response, "no-store");
    };
    let response = ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response();
    if v == version() {
        secure(response, "public, max-age=31536000, immutable")
    } else {
        // Another release's URL (replicas mid-upgrade): serve this one's file, but
        // never let it be cached under the other release's name.
        secure(response, "no-cache")
    }
}
