//! The engine over HTTP, with workflows defined by the tests.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab, step, until};
use crate::lab::Recorder;

async fn spawn(backend: Backend) -> (TestApp, Recorder) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    (app, rec)
}

async fn run_lab(app: &TestApp, workflow: &str, body: Value) -> Value {
    let r = app
        .post(&format!("/v1/workflows/{workflow}/runs?wait=20s"), &body)
        .await;
    assert_eq!(r.status(), 200, "run did not finish in time");
    json(r).await
}

async fn parallel_mode_overlaps_independent_steps(backend: Backend) {
    let (app, rec) = spawn(backend).await;
    let body = json!({"input": {"steps": {"b": {"sleepMs": 300}, "e": {"sleepMs": 300}}}});
    let run = run_lab(&app, "lab", body).await;
    assert_eq!(run["status"], "completed");
    let calls = rec.calls_of(run["runId"].as_str().unwrap());
    let b = calls.iter().find(|c| c.step == "b").unwrap();
    let e = calls.iter().find(|c| c.step == "e").unwrap();
    assert!(
        b.started < e.ended && e.started < b.ended,
        "b and e did not overlap"
    );
    // c starts as soon as b is done, whatever e does.
    let c = calls.iter().find(|c| c.step == "c").unwrap();
    assert!(c.started >= b.ended);
    for s in ["a", "b", "c", "d", "e"] {
        let st = step(&run, s);
        assert_eq!(st["status"], "completed", "{s}");
        assert!(st["durationMs"].as_i64().is_some(), "{s} has a duration");
        assert!(st["startedAt"].is_string() && st["finishedAt"].is_string());
    }
    assert!(step(&run, "b")["durationMs"].as_i64().unwrap() >= 300);
    assert!(run["durationMs"].as_i64().unwrap() >= 300);
}

async fn sequential_mode_runs_one_step_at_a_time_in_order(backend: Backend) {
    let (app, rec) = spawn(backend).await;
    let body = json!({
        "input": {"steps": {"b": {"sleepMs": 100}, "e": {"sleepMs": 100}}},
        "options": {"parallel": false}
    });
    let run = run_lab(&app, "lab", body).await;
    assert_eq!(run["status"], "completed");
    let mut calls = rec.calls_of(run["runId"].as_str().unwrap());
    calls.sort_by_key(|c| c.started);
    let order: Vec<&str> = calls.iter().map(|c| c.step.as_str()).collect();
    assert_eq!(order, ["a", "b", "c", "d", "e"]);
    for pair in calls.windows(2) {
        assert!(
            pair[1].started >= pair[0].ended,
            "{} overlapped {}",
            pair[1].step,
            pair[0].step
        );
    }
}

async fn a_disabled_step_skips_its_dependents_with_reasons(backend: Backend) {
    let (app, rec) = spawn(backend).await;
    let run = run_lab(&app, "lab", json!({"input": {}, "steps": {"b": false}})).await;
    assert_eq!(run["status"], "completed");
    assert_eq!(step(&run, "b")["skipReason"], "disabled by request");
    assert_eq!(step(&run, "c")["skipReason"], "dependency 'b' was skipped");
    assert_eq!(step(&run, "d")["skipReason"], "dependency 'c' was skipped");
    assert_eq!(step(&run, "e")["status"], "completed");
    let ran: Vec<String> = rec
        .calls_of(run["runId"].as_str().unwrap())
        .into_iter()
        .map(|c| c.step)
        .collect();
    assert!(!ran.contains(&"b".to_string()) && !ran.contains(&"c".to_string()));
}

async fn a_non_critical_failure_is_recorded_and_the_run_goes_on(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let body = json!({"input": {"steps": {"b": {"failCalls": 9, "failKind": "permanent"}}}});
    let run = run_lab(&app, "lab", body).await;
    assert_eq!(run["status"], "completed");
    let b = step(&run, "b");
    assert_eq!(b["status"], "failed");
    assert_eq!(b["attempts"], 1, "a permanent error is not retried");
    assert_eq!(b["error"]["kind"], "permanent");
    assert_eq!(step(&run, "c")["skipReason"], "dependency 'b' failed");
    assert_eq!(step(&run, "e")["status"], "completed");
}

async fn a_critical_failure_fails_the_run_and_skips_the_rest(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let body = json!({"input": {"steps": {"b": {"failCalls": 9, "failKind": "permanent"}, "e": {"sleepMs": 200}}}});
    let run = run_lab(&app, "lab-critical", body).await;
    assert_eq!(run["status"], "failed");
    assert_eq!(run["error"]["step"], "b");
    assert_eq!(
        step(&run, "c")["skipReason"],
        "run stopped: critical step 'b' failed"
    );
    assert_eq!(step(&run, "d")["status"], "skipped");
}

async fn stop_on_error_ends_the_run_at_a_non_critical_failure(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let body = json!({
        "input": {"steps": {"b": {"failCalls": 9, "failKind": "permanent"}}},
        "options": {"stopOnError": true, "parallel": false}
    });
    let run = run_lab(&app, "lab", body).await;
    assert_eq!(run["status"], "failed");
    assert_eq!(
        step(&run, "e")["skipReason"],
        "run stopped on error: step 'b' failed"
    );
}

async fn a_retryable_failure_succeeds_on_a_later_attempt(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let body = json!({"input": {"steps": {"b": {"failCalls": 2}}}});
    let run = run_lab(&app, "lab", body).await;
    assert_eq!(run["status"], "completed");
    let b = step(&run, "b");
    assert_eq!(b["status"], "completed");
    assert_eq!(b["attempts"], 3);
    assert_eq!(b["output"]["attempt"], 3);
}

async fn an_attempt_over_its_deadline_times_out_and_counts_as_failed(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let run = run_lab(&app, "slow", json!({"input": {}})).await;
    assert_eq!(run["status"], "completed");
    let s = step(&run, "slow");
    assert_eq!(s["status"], "failed");
    assert_eq!(s["attempts"], 2);
    assert!(
        s["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{s}"
    );
    assert!(s["durationMs"].as_i64().unwrap() < 2000);
}

async fn a_panicking_step_fails_without_taking_the_service_down(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let run = run_lab(
        &app,
        "lab",
        json!({"input": {"steps": {"e": {"panic": true}}}}),
    )
    .await;
    assert_eq!(step(&run, "e")["status"], "failed");
    assert_eq!(step(&run, "d")["status"], "completed");
    assert_eq!(app.get("/v1/me").await.status(), 200);
}

async fn a_running_run_can_be_cancelled_and_its_steps_see_it(backend: Backend) {
    let (app, rec) = spawn(backend).await;
    let r = app
        .post(
            "/v1/workflows/lab/runs?wait=0",
            &json!({"input": {"steps": {"b": {"sleepMs": 10000}}}}),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/v1/runs/")
    );
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    until(&app, &id, |v| step(v, "b")["status"] == "running").await;
    let r = app.post(&format!("/v1/runs/{id}/cancel"), &json!({})).await;
    assert_eq!(r.status(), 200);
    let run = json(r).await;
    assert_eq!(run["status"], "cancelled");
    assert_eq!(step(&run, "c")["skipReason"], "run cancelled");
    let b = rec
        .calls_of(&id)
        .into_iter()
        .find(|c| c.step == "b")
        .unwrap();
    assert!(b.cancelled, "step b did not see its cancellation signal");
    // Cancelling again is a conflict.
    assert_eq!(
        app.post(&format!("/v1/runs/{id}/cancel"), &json!({}))
            .await
            .status(),
        409
    );
}

async fn a_failed_run_retried_runs_only_its_unfinished_steps(backend: Backend) {
    let (app, rec) = spawn(backend).await;
    let body = json!({"input": {"steps": {"b": {"failCalls": 1, "failKind": "permanent"}}}});
    let run = run_lab(&app, "lab-critical", body).await;
    assert_eq!(run["status"], "failed");
    let id = run["runId"].as_str().unwrap().to_string();
    let r = app.post(&format!("/v1/runs/{id}/retry"), &json!({})).await;
    assert_eq!(r.status(), 202);
    let run = json(app.get(&format!("/v1/runs/{id}?wait=20s")).await).await;
    assert_eq!(run["status"], "completed", "{run}");
    let calls = rec.calls_of(&id);
    let count = |s: &str| calls.iter().filter(|c| c.step == s).count();
    assert_eq!(count("a"), 1, "a completed step ran again");
    assert_eq!(count("b"), 2);
    assert_eq!(count("c"), 1);
    // Only failed or cancelled runs can be retried.
    assert_eq!(
        app.post(&format!("/v1/runs/{id}/retry"), &json!({}))
            .await
            .status(),
        409
    );
}

async fn an_idempotency_key_returns_the_first_run(backend: Backend) {
    let (app, rec) = spawn(backend).await;
    let send = || {
        app.http
            .post(app.url("/v1/workflows/lab/runs?wait=20s"))
            .bearer_auth(&app.token)
            .header("idempotency-key", "order-77")
            .json(&json!({"input": {}}))
            .send()
    };
    let first = json(send().await.unwrap()).await;
    let second = json(send().await.unwrap()).await;
    assert_eq!(first["runId"], second["runId"]);
    assert_eq!(rec.calls_of(first["runId"].as_str().unwrap()).len(), 5);
    assert_eq!(rec.calls().len(), 5, "the repeat started a second run");
}

async fn a_full_queue_answers_429_with_retry_after(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(
        backend,
        |s| {
            s.engine.max_concurrent_runs = 1;
            s.engine.max_queued_runs = 2;
        },
        lab(&rec),
    )
    .await;
    let body = json!({"input": {"steps": {"a": {"sleepMs": 3000}}}});
    // The first run takes the replica's only slot.
    let first = json(app.post("/v1/workflows/lab/runs?wait=0", &body).await).await;
    until(&app, first["runId"].as_str().unwrap(), |v| {
        v["status"] == "running"
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = app.post("/v1/workflows/lab/runs?wait=0", &body).await;
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
        statuses.push(r.status().as_u16());
    }
    // Two may wait; everything after is refused.
    assert_eq!(statuses, [202, 202, 429, 429]);
    let queued = json(app.get("/v1/runs?status=queued").await).await;
    assert_eq!(queued["runs"].as_array().unwrap().len(), 2);
}

async fn a_dry_run_returns_the_plan_and_writes_nothing(backend: Backend) {
    let (app, rec) = spawn(backend).await;
    let r = app
        .post(
            "/v1/workflows/lab/runs",
            &json!({"input": {}, "steps": {"c": false}, "options": {"dryRun": true}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    assert_eq!(body["plan"]["order"], json!(["a", "b", "e"]));
    assert_eq!(body["plan"]["waves"], json!([["a"], ["b", "e"]]));
    assert_eq!(
        body["plan"]["skipped"][1]["reason"],
        "dependency 'c' was skipped"
    );
    let runs = json(app.get("/v1/runs").await).await;
    assert_eq!(runs["runs"].as_array().unwrap().len(), 0);
    assert!(rec.calls().is_empty());
}

async fn bad_submissions_list_every_problem(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let r = app
        .post(
            "/v1/workflows/lab/runs",
            &json!({"input": {}, "steps": {"zz": true, "b": 3}, "options": {"parallel": "yes"}}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p = json(r).await;
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/steps/b", "/steps/zz", "/options/parallel"]);
    assert_eq!(
        app.post("/v1/workflows/nope/runs", &json!({}))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.post("/v1/workflows/lab/runs?wait=soon", &json!({}))
            .await
            .status(),
        422
    );
}

async fn another_tenants_run_is_not_found(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let run = run_lab(&app, "lab", json!({"input": {}})).await;
    let id = run["runId"].as_str().unwrap();
    let other = app.key_for("tenant-b").await;
    let r = app
        .http
        .get(app.url(&format!("/v1/runs/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .post(app.url(&format!("/v1/runs/{id}/cancel")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let list = app
        .http
        .get(app.url("/v1/runs"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(json(list).await["runs"].as_array().unwrap().len(), 0);
}

async fn runs_are_listed_newest_first_with_a_cursor(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            run_lab(
                &app,
                "lab",
                json!({"input": {}, "steps": {"b": false, "e": false}}),
            )
            .await["runId"]
                .clone(),
        );
    }
    let page = json(app.get("/v1/runs?limit=2&workflow=lab").await).await;
    let got: Vec<Value> = page["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].clone())
        .collect();
    assert_eq!(got, vec![ids[2].clone(), ids[1].clone()]);
    let cursor = page["nextCursor"].as_str().unwrap();
    let page = json(app.get(&format!("/v1/runs?limit=2&cursor={cursor}")).await).await;
    assert_eq!(page["runs"][0]["runId"], ids[0]);
    assert_eq!(app.get("/v1/runs?status=bogus").await.status(), 422);
}

async fn a_sleeping_run_holds_no_worker_and_wakes_at_its_time(backend: Backend) {
    let (app, rec) = spawn(backend).await;
    let r = app
        .post(
            "/v1/workflows/nap/runs?wait=0",
            &json!({"input": {"seconds": 3600}}),
        )
        .await;
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    let parked = until(&app, &id, |v| v["status"] == "sleeping").await;
    assert!(parked["wakesAt"].is_string());
    assert_eq!(
        app.app().engine.active_runs(),
        0,
        "a parked run holds a worker"
    );
    // Not due yet: nothing happens.
    app.advance(Duration::from_secs(1800));
    app.settle().await;
    assert_eq!(
        json(app.get(&format!("/v1/runs/{id}")).await).await["status"],
        "sleeping"
    );
    app.advance(Duration::from_secs(1801));
    let run = json(app.get(&format!("/v1/runs/{id}?wait=10s")).await).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(step(&run, "wait")["output"]["woke"]["state"]["asked"], 3600);
    assert_eq!(rec.calls_of(&id).len(), 1);
}

both_backends!(
    parallel_mode_overlaps_independent_steps,
    sequential_mode_runs_one_step_at_a_time_in_order,
    a_disabled_step_skips_its_dependents_with_reasons,
    a_non_critical_failure_is_recorded_and_the_run_goes_on,
    a_critical_failure_fails_the_run_and_skips_the_rest,
    stop_on_error_ends_the_run_at_a_non_critical_failure,
    a_retryable_failure_succeeds_on_a_later_attempt,
    an_attempt_over_its_deadline_times_out_and_counts_as_failed,
    a_panicking_step_fails_without_taking_the_service_down,
    a_running_run_can_be_cancelled_and_its_steps_see_it,
    a_failed_run_retried_runs_only_its_unfinished_steps,
    an_idempotency_key_returns_the_first_run,
    a_full_queue_answers_429_with_retry_after,
    a_dry_run_returns_the_plan_and_writes_nothing,
    bad_submissions_list_every_problem,
    another_tenants_run_is_not_found,
    runs_are_listed_newest_first_with_a_cursor,
    a_sleeping_run_holds_no_worker_and_wakes_at_its_time,
);
