//! How the dashboard is served: the redirect, content types, cache headers, CSP.

use crate::both_backends;
use crate::helpers::Backend;

use super::spawn;

/// The asset URL prefix the page names (`/ui/assets/<version>`).
fn assets_prefix(html: &str) -> String {
    let start = html.find("/ui/assets/").expect("asset URL in the page") + "/ui/assets/".len();
    let version: String = html[start..].chars().take_while(|c| *c != '/').collect();
    assert_eq!(version.len(), 12, "{version}");
    format!("/ui/assets/{version}")
}

async fn the_dashboard_is_served_with_its_types_cache_headers_and_csp(backend: Backend) {
    let app = spawn(backend).await;
    let no_redirects = crate::checked::Client::from(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    );
    let r = no_redirects.get(app.url("/")).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(r.headers()["location"], "/ui");

    let r = app.http.get(app.url("/ui")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["cache-control"], "no-cache");
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    let html = r.text().await.unwrap();
    let prefix = assets_prefix(&html);

    for (file, kind) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("views/run.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
    ] {
        let r = app
            .http
            .get(app.url(&format!("{prefix}/{file}")))
            .unchecked("static assets are not API operations")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{file}");
        assert_eq!(r.headers()["content-type"], kind, "{file}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{file}"
        );
        assert!(r.headers().contains_key("content-security-policy"));
    }
    // Another release's URL is served but never cached under that name.
    let r = app
        .http
        .get(app.url("/ui/assets/000000000000/app.js"))
        .unchecked("static assets are not API operations")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = app
        .http
        .get(app.url(&format!("{prefix}/nope.js")))
        .unchecked("static assets are not API operations")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The page needs no credential; the API behind it still does.
    let r = app.http.get(app.url("/v1/runs")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

both_backends!(the_dashboard_is_served_with_its_types_cache_headers_and_csp);
