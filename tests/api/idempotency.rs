//! `Idempotency-Key` on submission routes: the same key and body return the first
//! run; the same key with another body is refused, naming the conflict, and starts
//! nothing.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab};
use crate::lab::Recorder;

async fn post_keyed(app: &TestApp, path: &str, key: &str, body: &Value) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth(&app.token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("request")
}

/// A 422 naming the key and the run it already belongs to.
async fn assert_key_conflict(r: reqwest::Response, run_id: &str) {
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem = json(r).await;
    assert_eq!(problem["errors"][0]["pointer"], "/headers/idempotency-key");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("different request") && message.contains(run_id),
        "{message}"
    );
}

async fn a_workflow_key_reused_with_another_body_is_refused(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    let path = "/v1/workflows/lab/runs?wait=20s";
    let first =
        json(post_keyed(&app, path, "order-77", &json!({"input": {"order": 77}})).await).await;
    let run_id = first["runId"].as_str().unwrap();

    let other = post_keyed(&app, path, "order-77", &json!({"input": {"order": 78}})).await;
    assert_key_conflict(other, run_id).await;

    // The same body, even written with its keys in another order, is the same request.
    let same = json!({"correlationId": "c-1", "input": {"order": 77}});
    let again = json!({"input": {"order": 77}, "correlationId": "c-1"});
    let a = json(post_keyed(&app, path, "order-78", &same).await).await;
    let b = json(post_keyed(&app, path, "order-78", &again).await).await;
    assert_eq!(a["runId"], b["runId"]);
    let repeat =
        json(post_keyed(&app, path, "order-77", &json!({"input": {"order": 77}})).await).await;
    assert_eq!(repeat["runId"], run_id);

    let runs = json(app.get("/v1/runs").await).await;
    assert_eq!(runs["runs"].as_array().unwrap().len(), 2, "{runs}");
    assert_eq!(rec.calls().len(), 10, "two runs of five steps, no more");
}

fn discharge(patient: &str) -> Value {
    json!({"input": {"rawData": {"mode": "structured", "source": "ehr-export",
        "data": {"patient": {"name": patient, "species": "canine"},
                 "owner": {"name": "Jane Doe", "email": "owner@example.com"}}}},
        "steps": {"scheduleCall": false}})
}

async fn a_discharge_key_reused_for_another_patient_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let path = "/v1/discharge/orchestrations?wait=20s";
    let r = post_keyed(&app, path, "discharge-4711", &discharge("Bella")).await;
    assert_eq!(r.status(), 200);
    let first = json(r).await;
    let run_id = first["runId"].as_str().unwrap();

    let other = post_keyed(&app, path, "discharge-4711", &discharge("Rex")).await;
    assert_key_conflict(other, run_id).await;

    let r = post_keyed(&app, path, "discharge-4711", &discharge("Bella")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["runId"], run_id);
    let runs = json(app.get("/v1/runs?workflow=discharge").await).await;
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1, "{runs}");
}

both_backends!(
    a_workflow_key_reused_with_another_body_is_refused,
    a_discharge_key_reused_for_another_patient_is_refused,
);
