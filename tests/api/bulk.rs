//! Bulk cancel and retry by filter: `POST /v1/runs/cancel`, `POST /v1/runs/retry`.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab, until};
use crate::lab::Recorder;

async fn spawn(backend: Backend) -> TestApp {
    let rec = Recorder::default();
    TestApp::spawn_with(backend, |_| {}, lab(&rec)).await
}

async fn submit(app: &TestApp, token: &str, workflow: &str, body: Value) -> String {
    let r = app
        .http
        .post(app.url(&format!("/v1/workflows/{workflow}/runs?wait=0")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    json(r).await["runId"].as_str().unwrap().to_string()
}

async fn status_as(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app
        .http
        .get(app.url(&format!("/v1/runs/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    json(r).await["status"].clone()
}

async fn bulk_cancel_by_workflow_touches_only_the_callers_matching_runs(backend: Backend) {
    let app = spawn(backend).await;
    let other = app.key_for("tenant-b").await;
    let mine: Vec<String> = vec![
        submit(&app, &app.token, "nap", json!({"input": {"seconds": 600}})).await,
        submit(&app, &app.token, "nap", json!({"input": {"seconds": 600}})).await,
    ];
    let theirs = submit(&app, &other, "nap", json!({"input": {"seconds": 600}})).await;
    let lab_run = submit(
        &app,
        &app.token,
        "lab",
        json!({"input": {"steps": {"a": {"sleepMs": 600}}}}),
    )
    .await;
    for id in &mine {
        until(&app, id, |v| v["status"] == "sleeping").await;
    }

    let r = app
        .post("/v1/runs/cancel", &json!({"workflow": "nap"}))
        .await;
    assert_eq!(r.status(), 200);
    let out = json(r).await;
    assert_eq!(out["matched"], 2, "{out}");
    assert_eq!(out["touched"], 2, "{out}");
    assert_eq!(out["skipped"], 0, "{out}");
    assert_eq!(out["more"], false);
    for id in &mine {
        assert_eq!(status_as(&app, &app.token, id).await, "cancelled");
    }
    assert_ne!(status_as(&app, &other, &theirs).await, "cancelled");
    let lab_view = json(app.get(&format!("/v1/runs/{lab_run}?wait=20s")).await).await;
    assert_eq!(lab_view["status"], "completed");

    // Nothing is left to cancel.
    let again = json(
        app.post("/v1/runs/cancel", &json!({"workflow": "nap"}))
            .await,
    )
    .await;
    assert_eq!(again["matched"], 0);
}

async fn bulk_retry_queues_failed_runs_again_a_bounded_number_at_a_time(backend: Backend) {
    let app = spawn(backend).await;
    let failing = json!({"input": {"steps": {"b": {"failCalls": 1, "failKind": "permanent"}}}});
    let mut failed = Vec::new();
    for _ in 0..2 {
        let r = app
            .post("/v1/workflows/lab-critical/runs?wait=20s", &failing)
            .await;
        let run = json(r).await;
        assert_eq!(run["status"], "failed");
        failed.push(run["runId"].as_str().unwrap().to_string());
    }
    let ok = json(
        app.post("/v1/workflows/lab/runs?wait=20s", &json!({"input": {}}))
            .await,
    )
    .await;
    assert_eq!(ok["status"], "completed");

    let filter = json!({"status": "failed", "workflow": "lab-critical", "limit": 1});
    let first = json(app.post("/v1/runs/retry", &filter).await).await;
    assert_eq!(first["matched"], 1, "{first}");
    assert_eq!(first["touched"], 1);
    assert_eq!(first["more"], true);
    let second = json(app.post("/v1/runs/retry", &filter).await).await;
    assert_eq!(second["touched"], 1, "{second}");
    assert_eq!(second["more"], false);

    for id in &failed {
        let run = json(app.get(&format!("/v1/runs/{id}?wait=20s")).await).await;
        assert_eq!(run["status"], "completed", "{run}");
    }
    let none = json(
        app.post("/v1/runs/retry", &json!({"status": "failed"}))
            .await,
    )
    .await;
    assert_eq!(none["matched"], 0);
}

async fn bulk_actions_refuse_bad_filters_listing_every_problem(backend: Backend) {
    let app = spawn(backend).await;
    let cases = [
        ("/v1/runs/cancel", json!({}), vec![""]),
        (
            "/v1/runs/cancel",
            json!({"workfow": "lab"}),
            vec!["/workfow", ""],
        ),
        (
            "/v1/runs/cancel",
            json!({"status": "completed"}),
            vec!["/status"],
        ),
        (
            "/v1/runs/retry",
            json!({"status": "running"}),
            vec!["/status"],
        ),
        (
            "/v1/runs/retry",
            json!({"submittedAfter": "yesterday", "workflow": "nope", "limit": 0}),
            vec!["/workflow", "/submittedAfter", "/limit"],
        ),
        (
            "/v1/runs/retry",
            json!({"submittedAfter": "2026-01-02T00:00:00Z", "submittedBefore": "2026-01-01T00:00:00Z"}),
            vec!["/submittedBefore"],
        ),
        ("/v1/runs/retry", json!([1]), vec![""]),
    ];
    for (path, body, expected) in cases {
        let r = app.post(path, &body).await;
        assert_eq!(r.status(), 422, "{path} {body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p = json(r).await;
        let mut pointers: Vec<String> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["pointer"].as_str().unwrap().to_string())
            .collect();
        pointers.sort();
        let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(pointers, expected, "{path} {body}");
    }
}

both_backends!(
    bulk_cancel_by_workflow_touches_only_the_callers_matching_runs,
    bulk_retry_queues_failed_runs_again_a_bounded_number_at_a_time,
    bulk_actions_refuse_bad_filters_listing_every_problem,
);
