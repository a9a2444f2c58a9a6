//! Service calls carry their idempotency key to the partner on every attempt, so
//! the partner can drop the repeats that at-least-once delivery allows.

use std::time::Duration;

use careflow::app::Extensions;
use careflow::config::Settings;
use serde_json::{Value, json};

use crate::both_backends;
use crate::fake_partner::{FakePartner, Reply};
use crate::helpers::{Backend, TestApp, json};

async fn spawn_with(
    backend: Backend,
    adjust: impl FnOnce(&mut Settings),
) -> (TestApp, FakePartner) {
    let partner = FakePartner::start().await;
    let app = TestApp::spawn_with(
        backend,
        |s| {
            s.providers.outbound.allow = vec!["127.0.0.1/32".into()];
            s.providers.outbound.retry.max_attempts = 3;
            s.providers.outbound.retry.initial_backoff = Duration::from_millis(20);
            s.providers.outbound.retry.max_backoff = Duration::from_millis(100);
            adjust(s);
        },
        Extensions::default,
    )
    .await;
    (app, partner)
}

/// Submits a call to the partner and waits for its run to end; returns the call.
async fn perform(app: &TestApp, request: Value) -> Value {
    let r = app
        .post(
            "/v1/service-calls",
            &json!({"name": "partner webhook", "request": request}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let call = json(r).await;
    let run = call["runId"].as_str().unwrap();
    let done = json(app.get(&format!("/v1/runs/{run}?wait=20s")).await).await;
    assert_eq!(done["status"], "completed", "{done}");
    call
}

async fn every_attempt_sends_the_call_id_as_idempotency_key(backend: Backend) {
    let (app, partner) = spawn_with(backend, |_| {}).await;
    partner.script([Reply::Status(503)]);
    let call = perform(
        &app,
        json!({"method": "POST", "url": partner.url("/hook"), "body": {"a": 1}}),
    )
    .await;
    let id = call["serviceCallId"].as_str().unwrap();
    let got = partner.received();
    assert_eq!(got.len(), 2, "one failed attempt and its retry");
    for r in &got {
        assert_eq!(
            r.headers.get("idempotency-key").map(String::as_str),
            Some(id)
        );
    }
    assert_eq!(call["request"]["headers"]["Idempotency-Key"], id);
}

async fn a_call_can_name_its_key_header_or_send_none(backend: Backend) {
    let (app, partner) = spawn_with(backend, |s| {
        s.service_calls.idempotency_header = "X-Careflow-Key".into();
    })
    .await;
    let configured = perform(
        &app,
        json!({"method": "POST", "url": partner.url("/configured")}),
    )
    .await;
    let named = perform(
        &app,
        json!({"method": "POST", "url": partner.url("/named"), "idempotencyHeader": "X-Request-Key"}),
    )
    .await;
    perform(
        &app,
        json!({"method": "POST", "url": partner.url("/none"), "idempotencyHeader": null}),
    )
    .await;
    let got = partner.received();
    let at = |target: &str| got.iter().find(|r| r.target == target).unwrap();
    assert_eq!(
        at("/configured").headers.get("x-careflow-key"),
        configured["serviceCallId"]
            .as_str()
            .map(String::from)
            .as_ref()
    );
    assert!(!at("/configured").headers.contains_key("idempotency-key"));
    assert_eq!(
        at("/named").headers.get("x-request-key"),
        named["serviceCallId"].as_str().map(String::from).as_ref()
    );
    assert!(!at("/named").headers.contains_key("x-careflow-key"));
    let none = &at("/none").headers;
    assert!(
        !none.contains_key("x-careflow-key") && !none.contains_key("x-request-key"),
        "{none:?}"
    );
}

async fn a_key_header_that_is_no_header_name_is_refused_with_its_pointer(backend: Backend) {
    let (app, partner) = spawn_with(backend, |_| {}).await;
    let r = app
        .post(
            "/v1/service-calls",
            &json!({"name": "bad", "request": {"method": "GET", "url": partner.url("/"), "idempotencyHeader": "Idem Key"}}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    assert_eq!(
        problem["errors"][0]["pointer"],
        "/request/idempotencyHeader"
    );
    let list = json(app.get("/v1/service-calls").await).await;
    assert_eq!(list["serviceCalls"], json!([]));
}

both_backends!(
    every_attempt_sends_the_call_id_as_idempotency_key,
    a_call_can_name_its_key_header_or_send_none,
    a_key_header_that_is_no_header_name_is_refused_with_its_pointer,
);
