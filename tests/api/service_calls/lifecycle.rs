//! A service call and its run stay in step: between attempts the call is
//! `Scheduled` with its next attempt and last error, and can be cancelled; a run
//! cancelled through `/v1/runs` cancels its call.

use std::time::Duration;

use serde_json::{Value, json};

use super::{call_to, due_in, run_of, settle, spawn, submit};
use crate::both_backends;
use crate::fake_partner::Reply;
use crate::helpers::{Backend, TestApp, eventually, json, until};

async fn call(app: &TestApp, id: &str) -> Value {
    json(app.get(&format!("/v1/service-calls/{id}")).await).await
}

/// Reads the call until `check` holds.
async fn until_call(app: &TestApp, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    eventually(
        &format!("service call {id} to reach the expected state"),
        || async {
            let v = call(app, id).await;
            if check(&v) { Ok(v) } else { Err(v) }
        },
    )
    .await
}

async fn a_call_waiting_out_a_retry_after_is_scheduled_with_its_next_attempt_and_can_be_cancelled(
    backend: Backend,
) {
    let (app, partner) = spawn(backend).await;
    partner.script([Reply::RetryAfter(429, "3600")]);
    let submitted = submit(&app, &call_to(&partner.url("/busy"))).await;
    let id = submitted["serviceCallId"].as_str().unwrap().to_string();
    partner.wait_for(1).await;
    let waiting = until_call(&app, &id, |v| v["nextAttemptAt"].is_string()).await;
    assert_eq!(waiting["status"], "scheduled", "{waiting}");
    assert_eq!(waiting["attempts"], 1);
    assert_eq!(waiting["error"]["kind"], "http_status");
    assert_eq!(waiting["error"]["statusCode"], 429);
    assert_eq!(waiting["response"]["statusCode"], 429);
    let next: chrono::DateTime<chrono::Utc> =
        waiting["nextAttemptAt"].as_str().unwrap().parse().unwrap();
    let run = run_of(&submitted);
    let parked = until(&app, &run, |v| v["status"] == "sleeping").await;
    let wakes: chrono::DateTime<chrono::Utc> = parked["wakesAt"].as_str().unwrap().parse().unwrap();
    assert!(
        next >= chrono::Utc::now() + chrono::Duration::minutes(59),
        "the next attempt waits for Retry-After: {next}"
    );
    assert!(
        (wakes - next).num_seconds().abs() <= 1,
        "the run wakes when the call says: {wakes} vs {next}"
    );

    let r = app
        .post(&format!("/v1/service-calls/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let cancelled = json(r).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["nextAttemptAt"].is_null());
    let run_now = json(app.get(&format!("/v1/runs/{run}")).await).await;
    assert_eq!(run_now["status"], "cancelled");
    app.advance(Duration::from_secs(3601));
    app.settle().await;
    assert_eq!(
        partner.received().len(),
        1,
        "no attempt after the cancellation"
    );
    assert_eq!(call(&app, &id).await["status"], "cancelled");
}

async fn cancelling_a_calls_run_cancels_the_call_and_a_retry_sends_nothing(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    let submitted = submit(
        &app,
        &due_in(call_to(&partner.url("/later")), Duration::from_secs(600)),
    )
    .await;
    let id = submitted["serviceCallId"].as_str().unwrap().to_string();
    let run = run_of(&submitted);
    until(&app, &run, |v| v["status"] == "sleeping").await;
    let r = app
        .post(&format!("/v1/runs/{run}/cancel"), &json!({}))
        .await;
    assert_eq!(json(r).await["status"], "cancelled");
    let cancelled = until_call(&app, &id, |v| v["status"] == "cancelled").await;
    assert!(cancelled["finishedAt"].is_string());
    assert_eq!(
        app.post(&format!("/v1/runs/{run}/retry"), &json!({}))
            .await
            .status(),
        202
    );
    app.advance(Duration::from_secs(601));
    let (done, _) = settle(&app, &submitted).await;
    assert_eq!(done["status"], "cancelled", "{done}");
    assert!(partner.received().is_empty());

    // A call between attempts follows its run too.
    partner.script([Reply::RetryAfter(503, "3600")]);
    let busy = submit(&app, &call_to(&partner.url("/busy"))).await;
    let busy_id = busy["serviceCallId"].as_str().unwrap().to_string();
    until_call(&app, &busy_id, |v| v["nextAttemptAt"].is_string()).await;
    let busy_run = run_of(&busy);
    until(&app, &busy_run, |v| v["status"] == "sleeping").await;
    app.post(&format!("/v1/runs/{busy_run}/cancel"), &json!({}))
        .await;
    let cancelled = until_call(&app, &busy_id, |v| v["status"] == "cancelled").await;
    assert_eq!(
        cancelled["error"]["statusCode"], 503,
        "the last error stays: {cancelled}"
    );
    app.advance(Duration::from_secs(3601));
    app.settle().await;
    assert_eq!(partner.received().len(), 1);
}

both_backends!(
    a_call_waiting_out_a_retry_after_is_scheduled_with_its_next_attempt_and_can_be_cancelled,
    cancelling_a_calls_run_cancels_the_call_and_a_retry_sends_nothing,
);
