//! Priorities and fairness: claims take higher priorities first, and tenants take
//! turns, so one tenant's backlog cannot hold another tenant's run behind it.
//!
//! Each test holds the replica's only slot with a long run, fills the queue, then
//! cancels the long run and lets the queue drain one claim at a time; the order in
//! which the runs' first steps started is the order the claims took them.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab, until};
use crate::lab::Recorder;

both_backends!(
    one_tenants_backlog_does_not_hold_another_tenants_run_behind_it,
    higher_priorities_run_first_and_are_shown_and_filterable,
    a_priority_out_of_bounds_is_refused_with_nothing_written,
);

/// A service with one slot, taken by a run that sleeps until cancelled.
async fn spawn_busy(backend: Backend) -> (TestApp, Recorder, String) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |s| s.engine.max_concurrent_runs = 1, lab(&rec)).await;
    let body = json!({"input": {"steps": {"a": {"sleepMs": 60_000}}}});
    let r = app.post("/v1/workflows/lab/runs?wait=0", &body).await;
    assert_eq!(r.status(), 202);
    let blocker = json(r).await["runId"].as_str().unwrap().to_string();
    until(&app, &blocker, |v| v["status"] == "running").await;
    (app, rec, blocker)
}

/// Submits a run of `lab` with `token` and `extra` body fields; its id.
async fn submit(app: &TestApp, token: &str, extra: Value) -> String {
    let mut body = json!({"input": {}});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = app
        .http
        .post(app.url("/v1/workflows/lab/runs?wait=0"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "submission refused");
    let answer = json(r).await;
    assert_eq!(answer["status"], "queued", "{answer}");
    answer["runId"].as_str().unwrap().to_string()
}

/// Frees the slot and waits until every queued run has executed; the runs in the
/// order their first step started.
async fn drain(app: &TestApp, rec: &Recorder, blocker: &str) -> Vec<String> {
    let r = app
        .post(&format!("/v1/runs/{blocker}/cancel"), &json!({}))
        .await;
    assert!(r.status().is_success(), "cancel: {}", r.status());
    app.settle().await;
    let mut firsts: Vec<_> = rec
        .calls()
        .into_iter()
        .filter(|c| c.step == "a" && c.run != blocker)
        .collect();
    firsts.sort_by_key(|c| c.started);
    firsts.into_iter().map(|c| c.run).collect()
}

async fn one_tenants_backlog_does_not_hold_another_tenants_run_behind_it(backend: Backend) {
    let (app, rec, blocker) = spawn_busy(backend).await;
    let flood = 15;
    let mut backlog = Vec::new();
    for _ in 0..flood {
        backlog.push(submit(&app, &app.token, json!({})).await);
    }
    let other = app.key_for("tenant-b").await;
    let single = submit(&app, &other, json!({})).await;

    let order = drain(&app, &rec, &blocker).await;
    assert_eq!(order.len(), flood + 1, "every queued run executed once");
    let place = order.iter().position(|r| *r == single).unwrap();
    // Tenants take turns: tenant-b's run waits for at most one of tenant-a's.
    assert!(
        place <= 1,
        "tenant-b's run was claimed {}th, after {place} of tenant-a's {flood} runs",
        place + 1
    );
    // Tenant-a's own runs keep their submission order.
    let a_order: Vec<&String> = order.iter().filter(|r| **r != single).collect();
    assert_eq!(a_order, backlog.iter().collect::<Vec<_>>());
}

async fn higher_priorities_run_first_and_are_shown_and_filterable(backend: Backend) {
    let (app, rec, blocker) = spawn_busy(backend).await;
    let mut low = Vec::new();
    for _ in 0..4 {
        low.push(submit(&app, &app.token, json!({"priority": 2})).await);
    }
    let middle = submit(&app, &app.token, json!({})).await;
    let urgent = submit(&app, &app.token, json!({"priority": 9})).await;

    let shown = json(app.get(&format!("/v1/runs/{urgent}")).await).await;
    assert_eq!(shown["priority"], 9, "{shown}");
    let shown = json(app.get(&format!("/v1/runs/{middle}")).await).await;
    assert_eq!(shown["priority"], 5, "the default is the middle: {shown}");
    let listed = json(app.get("/v1/runs?priority=2").await).await;
    let mut ids: Vec<String> = listed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let mut expected = low.clone();
    expected.sort();
    assert_eq!(ids, expected, "?priority=2 lists exactly the low runs");

    let order = drain(&app, &rec, &blocker).await;
    let mut wanted = vec![urgent, middle];
    wanted.extend(low);
    assert_eq!(
        order, wanted,
        "claimed by priority, then in submission order"
    );

    // A rerun is the same work again, at the same priority.
    let r = app
        .post(
            &format!("/v1/runs/{}/rerun?wait=10s", wanted[0]),
            &json!({"fromStep": "a"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let again = json(r).await;
    assert_eq!(again["priority"], 9, "{again}");
}

async fn a_priority_out_of_bounds_is_refused_with_nothing_written(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    for bad in [json!(0), json!(10), json!(-1), json!(4.5), json!("high")] {
        let r = app
            .post(
                "/v1/workflows/lab/runs?wait=0",
                &json!({"input": {}, "priority": bad, "correlationId": ""}),
            )
            .await;
        assert_eq!(r.status(), 422, "priority {bad}");
        let problem = json(r).await;
        let mut pointers: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["pointer"].as_str())
            .collect();
        pointers.sort();
        // Every problem is listed, not just the first.
        assert_eq!(pointers, ["/correlationId", "/priority"], "priority {bad}");
    }
    let r = app.get("/v1/runs?priority=12").await;
    assert_eq!(r.status(), 422);
    let listed = json(app.get("/v1/runs").await).await;
    assert_eq!(listed["runs"], json!([]), "a refused submission left a run");
}
