//! Rate limits and throttles on a tenant's own workflow triggers: a rate limit
//! skips the events past its limit (the sender is told, and a `function.skipped`
//! event records it), a throttle delays the runs past its limit without dropping
//! any. The counts live in the database, so a restart forgets nothing.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, until};

both_backends!(
    a_rate_limit_skips_extra_events_per_key_and_says_so,
    a_throttle_delays_extra_runs_per_key_and_drops_none,
    bad_limits_are_listed_in_one_answer,
    the_runs_of_a_tenants_triggers_count_at_the_door,
);

async fn put(app: &TestApp, name: &str, body: &Value) -> reqwest::Response {
    app.http
        .put(app.url(&format!("/v1/workflows/{name}")))
        .bearer_auth(&app.token)
        .json(body)
        .send()
        .await
        .expect("request")
}

/// A workflow that finishes at once, started by `visit/booked`, with `limits`
/// (`rateLimit`, `throttle`) added to its definition.
fn booked(limits: Value) -> Value {
    let mut def = json!({
        "steps": [{"name": "note", "kind": "emit", "event": "visit/noted",
                   "data": {"patient": {"$ref": "/input/event/data/patientId"}}}],
        "triggers": [{"event": "visit/booked"}],
    });
    for (k, v) in limits.as_object().unwrap() {
        def[k] = v.clone();
    }
    def
}

fn visit(patient: &str) -> Value {
    json!({"name": "visit/booked", "data": {"patientId": patient}})
}

async fn runs(app: &TestApp, workflow: &str) -> Vec<Value> {
    json(app.get(&format!("/v1/runs?workflow={workflow}")).await).await["runs"]
        .as_array()
        .unwrap()
        .clone()
}

fn patient_of(run: &Value) -> &str {
    run["input"]["event"]["data"]["patientId"].as_str().unwrap()
}

async fn a_rate_limit_skips_extra_events_per_key_and_says_so(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let def = booked(json!({"rateLimit": {"limit": 2, "period": "1h", "key": "data.patientId"}}));
    assert_eq!(put(&app, "reminder", &def).await.status(), 201);

    // Three bookings of one patient in one batch: two runs, the third skipped.
    let sent = json(
        app.post(
            "/v1/events",
            &json!([visit("p-1"), visit("p-1"), visit("p-1"), visit("p-2")]),
        )
        .await,
    )
    .await;
    assert_eq!(sent["runs"].as_array().unwrap().len(), 3, "{sent}");
    let skipped = sent["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{sent}");
    assert_eq!(skipped[0]["function"], "reminder");
    assert_eq!(skipped[0]["reason"], "rate_limit");
    assert_eq!(
        skipped[0]["eventId"], sent["events"][2]["eventId"],
        "{sent}"
    );
    app.settle().await;
    let started = runs(&app, "reminder").await;
    assert_eq!(started.len(), 3, "{started:?}");
    assert_eq!(started.iter().filter(|r| patient_of(r) == "p-1").count(), 2);

    // The skip is an event of its own, naming the function and the event.
    let events = json(app.get("/v1/events?eventType=function.skipped").await).await;
    let reported = events["events"].as_array().unwrap();
    assert_eq!(reported.len(), 1, "{events}");
    assert_eq!(reported[0]["data"]["function"], "reminder");
    assert_eq!(reported[0]["data"]["eventId"], skipped[0]["eventId"]);

    // The count survives a restart: the limit is still reached.
    app.restart(Default::default()).await;
    // The stopped instance's router lease runs out before the new one routes.
    app.advance(Duration::from_secs(31));
    let sent = json(app.post("/v1/events", &visit("p-1")).await).await;
    assert!(sent["runs"].as_array().unwrap().is_empty(), "{sent}");
    assert_eq!(sent["skipped"][0]["reason"], "rate_limit", "{sent}");

    // Once the period has passed the patient's bookings start runs again.
    app.advance(Duration::from_secs(3600));
    let sent = json(app.post("/v1/events", &visit("p-1")).await).await;
    assert_eq!(sent["runs"].as_array().unwrap().len(), 1, "{sent}");
    assert!(sent["skipped"].as_array().unwrap().is_empty(), "{sent}");
}

async fn a_throttle_delays_extra_runs_per_key_and_drops_none(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let def = booked(json!({"throttle": {"limit": 1, "period": "1m", "key": "data.patientId"}}));
    assert_eq!(put(&app, "reminder", &def).await.status(), 201);

    let sent = json(
        app.post(
            "/v1/events",
            &json!([visit("p-1"), visit("p-1"), visit("p-1"), visit("p-2")]),
        )
        .await,
    )
    .await;
    assert!(sent["skipped"].as_array().unwrap().is_empty(), "{sent}");
    let ids: Vec<String> = sent["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 4, "every booking gets a run: {sent}");
    app.settle().await;
    let status = |runs: &[Value], s: &str| runs.iter().filter(|r| r["status"] == s).count();

    // One run per patient per minute starts: p-1's first and p-2's now.
    let now = runs(&app, "reminder").await;
    assert_eq!(status(&now, "completed"), 2, "{now:?}");
    assert_eq!(status(&now, "queued"), 2, "{now:?}");
    assert!(
        now.iter()
            .filter(|r| r["status"] == "queued")
            .all(|r| patient_of(r) == "p-1")
    );

    // A minute later the second starts, and only it.
    app.advance(Duration::from_secs(60));
    app.settle().await;
    let later = runs(&app, "reminder").await;
    assert_eq!(status(&later, "completed"), 3, "{later:?}");
    assert_eq!(status(&later, "queued"), 1, "{later:?}");

    app.advance(Duration::from_secs(60));
    for id in &ids {
        until(&app, id, |r| r["status"] == "completed").await;
    }
}

async fn bad_limits_are_listed_in_one_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let def = booked(json!({
        "rateLimit": {"limit": 0, "period": "2d", "key": "patient id"},
        "throttle": {"limit": 5, "period": "500ms", "key": "data..x", "burst": 2},
    }));
    let r = put(&app, "reminder", &def).await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for expected in [
        "/rateLimit/limit",
        "/rateLimit/period",
        "/rateLimit/key",
        "/throttle/period",
        "/throttle/key",
        "/throttle/burst",
    ] {
        assert!(
            pointers.contains(&expected),
            "{expected} missing: {problem}"
        );
    }
    assert_eq!(app.get("/v1/workflows/reminder").await.status(), 404);

    // Limits without triggers have nothing to limit.
    let r = put(
        &app,
        "reminder",
        &json!({"steps": [{"name": "n", "kind": "sleep", "duration": "1s"}],
                "rateLimit": {"limit": 1, "period": "1m"}}),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(json(r).await.to_string().contains("/triggers"));
}

async fn the_runs_of_a_tenants_triggers_count_at_the_door(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        |s| s.engine.max_queued_runs_per_tenant = 1,
        Default::default,
    )
    .await;
    assert_eq!(
        put(&app, "reminder", &booked(json!({}))).await.status(),
        201
    );

    // Two runs would not fit the tenant's share of the queue: refused, nothing kept.
    let r = app
        .post("/v1/events", &json!([visit("p-1"), visit("p-2")]))
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    app.settle().await;
    assert!(runs(&app, "reminder").await.is_empty());
    let stored = json(app.get("/v1/events?eventType=visit/booked").await).await;
    assert!(stored["events"].as_array().unwrap().is_empty(), "{stored}");

    // One fits.
    let sent = json(app.post("/v1/events", &visit("p-1")).await).await;
    assert_eq!(sent["runs"].as_array().unwrap().len(), 1, "{sent}");
}
