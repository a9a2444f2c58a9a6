//! `POST /v1/runs/{id}/rerun`: a new run that reuses the outputs of the steps the
//! chosen one does not lead to, and executes that step and its dependants.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab, step};
use crate::lab::Recorder;

/// Submits `body` to `lab-critical` and waits for it to end; returns its id.
async fn finished_run(app: &TestApp, body: &Value) -> String {
    let r = app
        .post("/v1/workflows/lab-critical/runs?wait=20s", body)
        .await;
    assert_eq!(r.status(), 200, "run did not finish in time");
    json(r).await["runId"].as_str().unwrap().to_string()
}

async fn a_run_failed_at_b_is_rerun_from_b_reusing_what_completed(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    // `b` fails once overall: in the source run, not in the rerun.
    let body = json!({"input": {"steps": {"b": {"failFirstCalls": 1, "failKind": "permanent"}}}});
    let source = finished_run(&app, &body).await;
    let run = json(app.get(&format!("/v1/runs/{source}")).await).await;
    assert_eq!(run["status"], "failed");
    assert_eq!(step(&run, "a")["status"], "completed");
    let a_output = step(&run, "a")["output"].clone();

    let r = app
        .post(
            &format!("/v1/runs/{source}/rerun"),
            &json!({"fromStep": "b"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let accepted = json(r).await;
    let id = accepted["runId"].as_str().unwrap().to_string();
    assert_ne!(id, source);
    assert_eq!(location, format!("/v1/runs/{id}"));

    let rerun = json(app.get(&format!("/v1/runs/{id}?wait=20s")).await).await;
    assert_eq!(rerun["status"], "completed", "{rerun}");
    assert_eq!(rerun["rerunOf"], source.as_str());
    assert_eq!(rerun["workflow"], "lab-critical");
    assert_eq!(rerun["input"], run["input"]);
    // `a` and `e` do not depend on `b`: copied with their outputs, not executed.
    for s in ["a", "e"] {
        assert_eq!(step(&rerun, s)["status"], "completed", "{s}");
        assert_eq!(step(&rerun, s)["reusedFrom"], source.as_str(), "{s}");
        assert!(
            rec.calls_of(&id).iter().all(|c| c.step != s),
            "{s} ran again"
        );
    }
    assert_eq!(step(&rerun, "a")["output"], a_output);
    // `b` and what depends on it ran in the new run.
    for s in ["b", "c", "d"] {
        assert_eq!(step(&rerun, s)["status"], "completed", "{s}");
        assert!(step(&rerun, s).get("reusedFrom").is_none(), "{s}");
        assert_eq!(
            rec.calls_of(&id).iter().filter(|c| c.step == s).count(),
            1,
            "{s}"
        );
    }
    // `b` was handed `a`'s reused output as its dependency.
    assert_eq!(step(&rerun, "b")["output"]["deps"], json!(["a"]));
    // The source run is left as it was.
    let again = json(app.get(&format!("/v1/runs/{source}")).await).await;
    assert_eq!(again["status"], "failed");
}

async fn without_from_step_the_first_failed_step_runs_again(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    let body = json!({"input": {"steps": {"b": {"failFirstCalls": 1, "failKind": "permanent"}}}});
    let source = finished_run(&app, &body).await;
    let r = app
        .post(&format!("/v1/runs/{source}/rerun?wait=20s"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "the rerun did not finish within its wait");
    let rerun = json(r).await;
    assert_eq!(rerun["status"], "completed", "{rerun}");
    assert_eq!(step(&rerun, "a")["reusedFrom"], source.as_str());
    assert!(step(&rerun, "b").get("reusedFrom").is_none());
}

async fn a_null_body_reruns_like_no_body(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    let body = json!({"input": {"steps": {"b": {"failFirstCalls": 1, "failKind": "permanent"}}}});
    let source = finished_run(&app, &body).await;
    let r = app
        .post(&format!("/v1/runs/{source}/rerun?wait=20s"), &Value::Null)
        .await;
    assert_eq!(r.status(), 200, "a null body was not taken as no body");
    let rerun = json(r).await;
    assert_eq!(rerun["status"], "completed", "{rerun}");
    assert_eq!(rerun["rerunOf"], source.as_str());
    assert!(step(&rerun, "b").get("reusedFrom").is_none());
}

async fn rerun_refuses_unknown_runs_unfinished_runs_and_unknown_steps(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    let source = finished_run(&app, &json!({"input": {}})).await;

    // An unknown step, and a member that is not part of the request.
    let r = app
        .post(
            &format!("/v1/runs/{source}/rerun"),
            &json!({"fromStep": "zz", "from": "b"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let problem = r.text().await.unwrap();
    assert!(problem.contains("/from"), "{problem}");
    let r = app
        .post(
            &format!("/v1/runs/{source}/rerun"),
            &json!({"fromStep": "zz"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let problem: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(problem.to_string().contains("/fromStep"), "{problem}");

    // A completed run has no failed step to default to.
    let r = app
        .post(&format!("/v1/runs/{source}/rerun"), &json!({}))
        .await;
    assert_eq!(r.status(), 422);

    // Unknown ids, and another tenant's run, are not found.
    let r = app
        .post(
            "/v1/runs/00000000-0000-0000-0000-000000000000/rerun",
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 404);
    let other = app.key_for("tenant-b").await;
    let r = crate::checked::Client::new()
        .post(app.url(&format!("/v1/runs/{source}/rerun")))
        .bearer_auth(&other)
        .json(&json!({"fromStep": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A run still going is refused.
    let r = app
        .post(
            "/v1/workflows/nap/runs",
            &json!({"input": {"seconds": 600}}),
        )
        .await;
    let napping = json(r).await["runId"].as_str().unwrap().to_string();
    let r = app
        .post(&format!("/v1/runs/{napping}/rerun"), &json!({}))
        .await;
    assert_eq!(r.status(), 409);
}

both_backends!(
    a_run_failed_at_b_is_rerun_from_b_reusing_what_completed,
    without_from_step_the_first_failed_step_runs_again,
    a_null_body_reruns_like_no_body,
    rerun_refuses_unknown_runs_unfinished_runs_and_unknown_steps,
);
