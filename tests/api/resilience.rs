//! Provider resilience: circuit breakers over a fake provider.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use careflow::app::Extensions;
use careflow::engine::{
    RetryPolicy, StepContext, StepOutcome, StepOutput, StepPolicy, WorkflowDefinition,
};
use careflow::workflows::support::call_failed;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, step};

#[derive(Clone, Default)]
struct Fake {
    healthy: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

async fn serve(fake: Fake) -> String {
    let router = Router::new().route(
        "/ping",
        get(move || {
            let fake = fake.clone();
            async move {
                fake.calls.fetch_add(1, Ordering::SeqCst);
                if fake.healthy.load(Ordering::SeqCst) {
                    (StatusCode::OK, "pong")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "down")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/ping")
}

/// A workflow whose one step calls the fake through the `llm` provider's breaker.
fn probe(url: String) -> Extensions {
    let factory = move |services: &careflow::workflows::Services| {
        let services = services.clone();
        let url = url.clone();
        WorkflowDefinition::builder("probe", 1)
            .step(
                "call",
                &[],
                StepPolicy::new().retry(RetryPolicy::no_retries()),
                move |_ctx: StepContext| {
                    let services = services.clone();
                    let url = url.clone();
                    async move {
                        let call =
                            async { services.http.get(&url).send().await?.error_for_status() };
                        services
                            .resilience
                            .call("llm", Duration::from_secs(2), call)
                            .await
                            .map_err(|e| call_failed("llm", e))?;
                        Ok(StepOutcome::Done(StepOutput::new(json!({"ok": true}))))
                    }
                },
            )
            .build()
            .unwrap()
    };
    Extensions {
        workflow_factories: vec![Box::new(factory)],
        ..Extensions::default()
    }
}

async fn breaker(app: &TestApp) -> Value {
    let providers = json(app.get("/v1/providers").await).await;
    providers["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "llm")
        .cloned()
        .unwrap()
}

async fn a_breaker_opens_fails_fast_half_opens_and_closes_again(backend: Backend) {
    let fake = Fake::default();
    let url = serve(fake.clone()).await;
    let app = TestApp::spawn_with(
        backend,
        |s| {
            let b = &mut s.resilience.breaker;
            b.failure_threshold = 3;
            b.failure_ratio = 0.0;
            b.min_calls = 1;
            b.open_for = Duration::from_millis(1500);
        },
        move || probe(url.clone()),
    )
    .await;
    assert_eq!(breaker(&app).await["state"], "closed");
    for _ in 0..3 {
        let run = json(
            app.post("/v1/workflows/probe/runs?wait=10s", &json!({"input": {}}))
                .await,
        )
        .await;
        assert_eq!(step(&run, "call")["status"], "failed");
    }
    assert_eq!(fake.calls.load(Ordering::SeqCst), 3);
    let open = breaker(&app).await;
    assert_eq!(open["state"], "open");
    assert_eq!(open["recentFailures"], 3);
    // The class and status of the failure, never the provider's text.
    assert_eq!(open["lastError"], "HTTP 503", "{open}");
    assert!(open["nextTrialAt"].is_string(), "{open}");

    // While open, the step waits for the breaker without touching the network.
    let r = app
        .post("/v1/workflows/probe/runs?wait=0", &json!({"input": {}}))
        .await;
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    app.settle().await;
    assert_eq!(
        fake.calls.load(Ordering::SeqCst),
        3,
        "an open breaker let a call through"
    );
    let waiting = json(app.get(&format!("/v1/runs/{id}")).await).await;
    assert_eq!(step(&waiting, "call")["status"], "pending");
    assert_eq!(
        step(&waiting, "call")["attempts"],
        0,
        "waiting for the breaker spent an attempt"
    );

    // The provider recovers: the trial call succeeds and the run finishes.
    fake.healthy.store(true, Ordering::SeqCst);
    let done = json(app.get(&format!("/v1/runs/{id}?wait=10s")).await).await;
    assert_eq!(step(&done, "call")["status"], "completed", "{done}");
    assert_eq!(fake.calls.load(Ordering::SeqCst), 4);
    assert_eq!(breaker(&app).await["state"], "closed");
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
        metrics.contains("careflow_provider_breaker_state{provider=\"llm\"} 0"),
        "{metrics}"
    );
    assert!(metrics.contains("careflow_provider_breaker_transitions_total{provider=\"llm\"} 3"));
}

both_backends!(a_breaker_opens_fails_fast_half_opens_and_closes_again);
