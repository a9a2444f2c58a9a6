//! The edge's headers: API answers are never cached, client request ids are kept
//! only when short and printable, and made-up methods share one metric label.

use reqwest::Method;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

async fn api_answers_are_not_cacheable_and_not_sniffable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ok = app.get("/v1/me").await;
    assert_eq!(ok.status(), 200);
    let refused = app.http.get(app.url("/v1/me")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    for r in [&ok, &refused] {
        assert_eq!(r.headers()["cache-control"], "no-store", "{r:?}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{r:?}");
    }
    // The dashboard page keeps its own caching rule.
    let page = app.http.get(app.url("/ui")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-cache");
}

async fn request_id_of(app: &TestApp, id: &str) -> String {
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", id)
        .send()
        .await
        .unwrap();
    r.headers()["x-request-id"].to_str().unwrap().to_string()
}

async fn only_short_printable_request_ids_are_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let longest = "a".repeat(128);
    assert_eq!(request_id_of(&app, &longest).await, longest);
    assert_eq!(request_id_of(&app, "req-42_x.y").await, "req-42_x.y");
    for bad in [
        "a".repeat(129),
        "x".repeat(50_000),
        "abc tenant=\"other\"".to_string(),
        "tab\there".to_string(),
    ] {
        let got = request_id_of(&app, &bad).await;
        assert_ne!(got, bad);
        assert!(
            !got.is_empty() && got.len() <= 128 && got.bytes().all(|b| (0x21..=0x7e).contains(&b)),
            "generated id {got:?}"
        );
    }
}

async fn made_up_methods_share_one_metric_label(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for method in ["BREW", "ZAPZAP", "X-ANYTHING"] {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = app
            .http
            .request(m, app.url("/healthz"))
            .unchecked("a made-up method is no operation")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
    }
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "careflow_http_requests_total{method=\"other\",route=\"/healthz\",status=\"405\"} 3"
        ),
        "{metrics}"
    );
    for method in ["BREW", "ZAPZAP", "X-ANYTHING"] {
        assert!(!metrics.contains(method), "{method} in {metrics}");
    }
}

async fn metrics_require_the_configured_bearer_token(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        |s| s.metrics.token = careflow::config::Secret::new("scrape-secret-1"),
        careflow::app::Extensions::default,
    )
    .await;
    let metrics = || app.http.get(app.url("/metrics"));
    let missing = metrics().send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert!(missing.headers().contains_key("www-authenticate"));
    assert!(!missing.text().await.unwrap().contains("careflow_"));
    let wrong = metrics()
        .bearer_auth("scrape-secret-2")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // An API key is no metrics token.
    let api_key = metrics().bearer_auth(&app.token).send().await.unwrap();
    assert_eq!(api_key.status(), 401);
    let right = metrics()
        .bearer_auth("scrape-secret-1")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("careflow_queue_depth"));
}

both_backends!(
    api_answers_are_not_cacheable_and_not_sniffable,
    only_short_printable_request_ids_are_kept,
    made_up_methods_share_one_metric_label,
    metrics_require_the_configured_bearer_token,
);
