//! Pausing runs and workflows over the API: a paused run finishes its current
//! step and holds; a paused workflow holds the tenant's new runs queued.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, eventually, json, lab, step, until};
use crate::lab::Recorder;

both_backends!(
    a_paused_run_finishes_its_step_then_holds_until_resumed,
    a_paused_workflow_holds_new_runs_queued_until_resumed,
    pausing_a_finished_or_unknown_run_is_refused,
    a_held_run_shows_every_step_pending_and_cancelled_every_step_skipped,
);

async fn spawn(backend: Backend) -> (TestApp, Recorder) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    (app, rec)
}

async fn a_paused_run_finishes_its_step_then_holds_until_resumed(backend: Backend) {
    let (app, rec) = spawn(backend).await;
    // a -> b -> c -> d (and a -> e); b takes a while, sequentially.
    let body = json!({
        "input": {"steps": {"b": {"sleepMs": 800}}},
        "options": {"parallel": false},
    });
    let r = app.post("/v1/workflows/lab/runs?wait=0", &body).await;
    assert_eq!(r.status(), 202);
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    until(&app, &id, |r| step(r, "b")["status"] == "running").await;

    let r = app.post(&format!("/v1/runs/{id}/pause"), &json!({})).await;
    assert_eq!(r.status(), 200);
    let asked = json(r).await;
    assert_eq!(asked["pauseRequested"], true, "{asked}");

    let held = until(&app, &id, |r| r["status"] == "paused").await;
    // The attempt under way finished and was kept; nothing after it started.
    assert_eq!(step(&held, "b")["status"], "completed", "{held}");
    assert_eq!(step(&held, "d")["status"], "pending", "{held}");
    let started: Vec<String> = rec.calls_of(&id).into_iter().map(|c| c.step).collect();
    // Still held after the engine looked for due work again.
    app.advance(std::time::Duration::from_secs(5));
    app.settle().await;
    let again = json(app.get(&format!("/v1/runs/{id}")).await).await;
    assert_eq!(again["status"], "paused");
    // Listed, and filtered, as it is shown.
    let listed = |status: &'static str| {
        let app = &app;
        async move {
            json(
                app.get(&format!("/v1/runs?workflow=lab&status={status}"))
                    .await,
            )
            .await["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["runId"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("paused").await, vec![id.clone()]);
    assert!(!listed("queued").await.contains(&id));
    assert!(!listed("running").await.contains(&id));

    let r = app.post(&format!("/v1/runs/{id}/resume"), &json!({})).await;
    assert_eq!(r.status(), 200);
    let done = json(app.get(&format!("/v1/runs/{id}?wait=10s")).await).await;
    assert_eq!(done["status"], "completed", "{done}");
    // Steps that ran before the pause did not run again.
    let calls: Vec<String> = rec.calls_of(&id).into_iter().map(|c| c.step).collect();
    for s in &started {
        assert_eq!(
            calls.iter().filter(|c| *c == s).count(),
            1,
            "{s} ran twice: {calls:?}"
        );
    }
    assert_eq!(calls.len(), 5, "{calls:?}");
}

async fn a_paused_workflow_holds_new_runs_queued_until_resumed(backend: Backend) {
    let (app, _rec) = spawn(backend).await;
    let r = app.post("/v1/workflows/lab/pause", &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["paused"], true);
    let workflows = json(app.get("/v1/workflows").await).await;
    let lab_wf = workflows["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "lab")
        .cloned()
        .unwrap();
    assert_eq!(lab_wf["paused"], true, "{lab_wf}");

    let keyed = || {
        app.http
            .post(app.url("/v1/workflows/lab/runs?wait=0"))
            .bearer_auth(&app.token)
            .header("idempotency-key", "held-1")
            .json(&json!({"input": {}}))
            .send()
    };
    let r = keyed().await.unwrap();
    assert_eq!(r.status(), 202);
    let held = json(r).await["runId"].as_str().unwrap().to_string();
    // The same submission again answers with the held run, still queued.
    let again = json(keyed().await.unwrap()).await;
    assert_eq!(again["runId"], held.as_str(), "{again}");
    // Another workflow runs meanwhile, after the engine has looked for work.
    app.advance(std::time::Duration::from_secs(1));
    let other = app
        .post(
            "/v1/workflows/lab-critical/runs?wait=10s",
            &json!({"input": {}}),
        )
        .await;
    assert_eq!(json(other).await["status"], "completed");
    let still = json(app.get(&format!("/v1/runs/{held}")).await).await;
    assert_eq!(still["status"], "queued", "{still}");
    assert_eq!(step(&still, "a")["attempts"], 0);
    // Nothing of it started: its only event says it is queued.
    let types = eventually("the held run's events listed", || async {
        let events = json(app.get(&format!("/v1/events?runId={held}")).await).await;
        let types: Vec<String> = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["eventType"].as_str().unwrap().to_string())
            .collect();
        (!types.is_empty()).then_some(types)
    })
    .await;
    assert_eq!(types, ["run.queued"]);
    // Another tenant's runs of the workflow are not held.
    let other_key = app.key_for("tenant-b").await;
    let r = app
        .http
        .post(app.url("/v1/workflows/lab/runs?wait=10s"))
        .bearer_auth(other_key)
        .json(&json!({"input": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["status"], "completed");

    let r = app.post("/v1/workflows/lab/resume", &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["paused"], false);
    let done = json(app.get(&format!("/v1/runs/{held}?wait=10s")).await).await;
    assert_eq!(done["status"], "completed", "{done}");
}

async fn pausing_a_finished_or_unknown_run_is_refused(backend: Backend) {
    let (app, _rec) = spawn(backend).await;
    let r = app
        .post("/v1/workflows/lab/runs?wait=10s", &json!({"input": {}}))
        .await;
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    let r = app.post(&format!("/v1/runs/{id}/pause"), &json!({})).await;
    assert_eq!(r.status(), 409);
    let r = app
        .post(
            "/v1/runs/01a24acb-0000-7000-8000-000000000000/pause",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app.post("/v1/workflows/no-such/pause", &json!({})).await;
    assert_eq!(r.status(), 404);
}

/// A step is stored from its first change on, so a run that never started has no
/// step rows: its steps still show, from its workflow, in the workflow's order.
async fn a_held_run_shows_every_step_pending_and_cancelled_every_step_skipped(backend: Backend) {
    let (app, _rec) = spawn(backend).await;
    let r = app.post("/v1/workflows/lab/pause", &json!({})).await;
    assert_eq!(r.status(), 200);
    let r = app
        .post("/v1/workflows/lab/runs?wait=0", &json!({"input": {}}))
        .await;
    assert_eq!(r.status(), 202);
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    let steps = |run: &serde_json::Value| -> Vec<(String, String, serde_json::Value)> {
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["status"].as_str().unwrap().to_string(),
                    s["skipReason"].clone(),
                )
            })
            .collect()
    };
    let expect =
        |status: &str, reason: serde_json::Value| -> Vec<(String, String, serde_json::Value)> {
            ["a", "b", "c", "d", "e"]
                .iter()
                .map(|n| (n.to_string(), status.to_string(), reason.clone()))
                .collect()
        };
    let held = json(app.get(&format!("/v1/runs/{id}")).await).await;
    assert_eq!(held["status"], "queued", "{held}");
    assert_eq!(
        steps(&held),
        expect("pending", serde_json::Value::Null),
        "{held}"
    );

    let r = app.post(&format!("/v1/runs/{id}/cancel"), &json!({})).await;
    assert_eq!(r.status(), 200);
    let cancelled = json(r).await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    let skipped = expect("skipped", json!("run cancelled"));
    assert_eq!(steps(&cancelled), skipped, "{cancelled}");
    // A listing shows the same steps.
    let listed = json(app.get("/v1/runs?workflow=lab&status=cancelled").await).await;
    let run = listed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["runId"] == id.as_str())
        .cloned()
        .expect("the cancelled run is listed");
    assert_eq!(steps(&run), skipped, "{run}");
}
