//! Traces across services: a caller's `traceparent` is the parent of the request's
//! span, the run keeps it, each step attempt is a span under it, the partner a
//! step calls sees it, and the spans reach an OTLP collector (a fake one here).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::Value;

use crate::both_backends;
use crate::fake_partner::FakePartner;
use crate::helpers::{Backend, TestApp, json};
use crate::service_calls::{call_to, open_to_partner, run_of, settle};
use crate::wait::eventually;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// An OTLP/HTTP collector taking JSON on `POST /v1/traces`; keeps every span.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Value>>>,
}

impl Collector {
    async fn start() -> (Self, SocketAddr) {
        let collector = Self::default();
        let app = Router::new()
            .route("/v1/traces", post(receive))
            .with_state(collector.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (collector, addr)
    }

    fn spans(&self) -> Vec<Value> {
        self.spans.lock().unwrap().clone()
    }
}

async fn receive(State(c): State<Collector>, body: axum::body::Bytes) -> &'static str {
    let export: Value = serde_json::from_slice(&body).expect("OTLP JSON");
    let mut spans = c.spans.lock().unwrap();
    for rs in export["resourceSpans"].as_array().into_iter().flatten() {
        for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
            spans.extend(ss["spans"].as_array().into_iter().flatten().cloned());
        }
    }
    "{}"
}

/// A span attribute's value, as text (OTLP JSON writes integers as strings or
/// numbers depending on the encoder).
fn attr(span: &Value, key: &str) -> Option<String> {
    let value = span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)?["value"]
        .clone();
    let inner = value.as_object()?.values().next()?.clone();
    Some(match inner {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

async fn a_run_submitted_under_a_traceparent_is_traced_to_its_partner_call(backend: Backend) {
    let (collector, addr) = Collector::start().await;
    let partner = FakePartner::start().await;
    let app = TestApp::spawn_with(
        backend,
        |s| {
            open_to_partner(s);
            s.telemetry.otlp_endpoint = format!("http://{addr}");
            s.telemetry.otlp_export_interval = Duration::from_millis(50);
        },
        careflow::app::Extensions::default,
    )
    .await;

    let r = app
        .http
        .post(app.url("/v1/service-calls"))
        .bearer_auth(&app.token)
        .header("traceparent", format!("00-{TRACE}-{CALLER_SPAN}-01"))
        .json(&call_to(&partner.url("/hook")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let call = json(r).await;
    let run_id = run_of(&call);
    let (_, run) = settle(&app, &call).await;
    assert_eq!(run["status"], "completed", "{run}");
    let attempts: i64 = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["attempts"].as_i64().unwrap())
        .sum();
    assert!(attempts >= 1, "{run}");

    let spans = eventually("the request's and every attempt's span", || {
        let spans = collector.spans();
        let steps = spans
            .iter()
            .filter(|s| attr(s, "careflow.run_id").as_deref() == Some(run_id.as_str()))
            .count();
        let request = spans.iter().any(|s| s["name"] == "POST /v1/service-calls");
        let got = request && steps as i64 == attempts;
        async move { if got { Ok(spans) } else { Err(spans) } }
    })
    .await;

    let request = spans
        .iter()
        .find(|s| s["name"] == "POST /v1/service-calls")
        .unwrap();
    assert_eq!(request["traceId"].as_str().unwrap().to_lowercase(), TRACE);
    assert_eq!(
        request["parentSpanId"].as_str().unwrap().to_lowercase(),
        CALLER_SPAN
    );
    let request_span = request["spanId"].as_str().unwrap().to_lowercase();
    let steps: Vec<&Value> = spans
        .iter()
        .filter(|s| attr(s, "careflow.run_id").as_deref() == Some(run_id.as_str()))
        .collect();
    let mut seen = Vec::new();
    for s in &steps {
        assert_eq!(s["traceId"].as_str().unwrap().to_lowercase(), TRACE, "{s}");
        assert_eq!(
            s["parentSpanId"].as_str().unwrap().to_lowercase(),
            request_span,
            "{s}"
        );
        assert!(attr(s, "careflow.workflow").is_some(), "{s}");
        assert!(attr(s, "careflow.outcome").is_some(), "{s}");
        let key = (attr(s, "careflow.step"), attr(s, "careflow.attempt"));
        assert!(!seen.contains(&key), "two spans for one attempt: {key:?}");
        seen.push(key);
    }

    // The partner's request carries the trace, its parent one of the attempts.
    let received = partner.wait_for(1).await;
    let traceparent = &received[0].headers["traceparent"];
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts[1], TRACE, "{traceparent}");
    assert!(
        steps
            .iter()
            .any(|s| s["spanId"].as_str().unwrap().to_lowercase() == parts[2]),
        "{traceparent} is not an attempt's span"
    );
}

async fn with_no_endpoint_nothing_is_exported_or_propagated(backend: Backend) {
    let partner = FakePartner::start().await;
    let app =
        TestApp::spawn_with(backend, open_to_partner, careflow::app::Extensions::default).await;
    assert!(!app.app().exports_spans());
    let r = app
        .http
        .post(app.url("/v1/service-calls"))
        .bearer_auth(&app.token)
        .header("traceparent", format!("00-{TRACE}-{CALLER_SPAN}-01"))
        .json(&call_to(&partner.url("/hook")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let call = json(r).await;
    let (_, run) = settle(&app, &call).await;
    assert_eq!(run["status"], "completed", "{run}");
    let received = partner.wait_for(1).await;
    assert!(
        !received[0].headers.contains_key("traceparent"),
        "{:?}",
        received[0].headers
    );
}

both_backends!(
    a_run_submitted_under_a_traceparent_is_traced_to_its_partner_call,
    with_no_endpoint_nothing_is_exported_or_propagated,
);
