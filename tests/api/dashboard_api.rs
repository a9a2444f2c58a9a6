//! The API the dashboard's views read: run filters, a run's timeline and the queue.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, eventually, json, lab, until};
use crate::lab::Recorder;

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |_| {}, lab(&Recorder::default())).await
}

async fn submit(app: &TestApp, workflow: &str, body: Value) -> String {
    let r = app
        .post(&format!("/v1/workflows/{workflow}/runs?wait=0"), &body)
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    json(r).await["runId"].as_str().unwrap().to_string()
}

fn run_ids(page: &Value) -> Vec<&str> {
    page["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].as_str().unwrap())
        .collect()
}

async fn runs_filter_by_correlation_id_time_and_status_in_any_case(backend: Backend) {
    let app = spawn(backend).await;
    let first = submit(&app, "nap", json!({"input": {}, "correlationId": "case-1"})).await;
    let second = submit(&app, "nap", json!({"input": {}, "correlationId": "case-2"})).await;
    let page = json(app.get("/v1/runs?correlationId=case-2").await).await;
    assert_eq!(run_ids(&page), [second.as_str()]);
    // The time window: runs submitted from the second's creation on.
    let second_view = json(app.get(&format!("/v1/runs/{second}")).await).await;
    let from = second_view["createdAt"].as_str().unwrap();
    let page = json(
        app.get(&format!("/v1/runs?createdFrom={}", urlencode(from)))
            .await,
    )
    .await;
    assert_eq!(run_ids(&page), [second.as_str()]);
    let page = json(
        app.get(&format!("/v1/runs?createdUntil={}", urlencode(from)))
            .await,
    )
    .await;
    assert_eq!(run_ids(&page), [first.as_str()]);
    until(&app, &second, |v| v["status"] == "sleeping").await;
    until(&app, &first, |v| v["status"] == "sleeping").await;
    let page = json(app.get("/v1/runs?status=SLEEPING").await).await;
    assert_eq!(run_ids(&page), [second.as_str(), first.as_str()]);
    // Bad values are all listed.
    let r = app
        .get("/v1/runs?createdFrom=yesterday&createdUntil=2026-13-01&status=asleep")
        .await;
    assert_eq!(r.status(), 422);
    let body = json(r).await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        ["/query/status", "/query/createdFrom", "/query/createdUntil"]
    );
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn a_timeline_shows_attempts_retry_waits_and_parked_time(backend: Backend) {
    let app = spawn(backend).await;
    // b fails once and is retried; the rest run once.
    let body = json!({"input": {"steps": {"b": {"failCalls": 1}}}});
    let r = app.post("/v1/workflows/lab/runs?wait=20s", &body).await;
    let run = json(r).await["runId"].as_str().unwrap().to_string();
    // The last events are listed a few milliseconds after the run ends.
    let t = eventually("step d's attempt to show as completed", || async {
        let t = json(app.get(&format!("/v1/runs/{run}/timeline")).await).await;
        if t["steps"][3]["spans"][0]["outcome"] == "completed" {
            Ok(t)
        } else {
            Err(t["steps"][3].clone())
        }
    })
    .await;
    let names: Vec<&str> = t["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let b = &t["steps"][1];
    assert_eq!(b["dependsOn"], json!(["a"]));
    let kinds: Vec<&str> = b["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["attempt", "retry_wait", "attempt"], "{b}");
    assert_eq!(b["spans"][0]["outcome"], "retrying");
    assert_eq!(b["spans"][2]["attempt"], 2);
    assert_eq!(b["spans"][2]["outcome"], "completed");
    assert!(b["spans"][1]["until"].is_string());

    // A parked step shows an open parked span until it wakes.
    let nap = submit(&app, "nap", json!({"input": {"seconds": 60}})).await;
    until(&app, &nap, |v| v["status"] == "sleeping").await;
    let wait = eventually("the nap step's parked span", || async {
        let t = json(app.get(&format!("/v1/runs/{nap}/timeline")).await).await;
        let wait = t["steps"][0].clone();
        if wait["spans"].as_array().unwrap().len() == 2 {
            Ok(wait)
        } else {
            Err(wait)
        }
    })
    .await;
    assert_eq!(wait["spans"][1]["kind"], "parked", "{wait}");
    assert!(wait["spans"][1]["end"].is_null());
    assert!(wait["spans"][1]["until"].is_string());
    // Another tenant's run is not found.
    let other = app.key_for("tenant-b").await;
    let r = app
        .http
        .get(app.url(&format!("/v1/runs/{nap}/timeline")))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn the_queue_shows_depth_and_the_tenants_unfinished_runs(backend: Backend) {
    let app = spawn(backend).await;
    let empty = json(app.get("/v1/queue").await).await;
    assert_eq!(empty["tenantRuns"]["sleeping"], 0);
    assert!(empty["depth"].is_i64());
    assert!(empty["maxQueuedRuns"].is_i64() || empty["maxQueuedRuns"].is_u64());
    for _ in 0..2 {
        let id = submit(&app, "nap", json!({"input": {}})).await;
        until(&app, &id, |v| v["status"] == "sleeping").await;
    }
    let q = json(app.get("/v1/queue").await).await;
    assert_eq!(q["tenantRuns"]["sleeping"], 2, "{q}");
    assert_eq!(q["tenantRuns"]["running"], 0);
    // Another tenant's runs are its own.
    let other = app.key_for("tenant-b").await;
    let r = app
        .http
        .get(app.url("/v1/queue"))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["tenantRuns"]["sleeping"], 0);
}

both_backends!(
    runs_filter_by_correlation_id_time_and_status_in_any_case,
    a_timeline_shows_attempts_retry_waits_and_parked_time,
    the_queue_shows_depth_and_the_tenants_unfinished_runs,
);
